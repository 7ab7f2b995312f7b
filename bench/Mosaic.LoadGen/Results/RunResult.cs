namespace Mosaic.LoadGen.Results;

/// <summary>One load run as written to JSON: settings, counts, throughput and latency of the measured phase.</summary>
/// <remarks>
/// <see cref="Latency"/> is from the intended send time (open loop: the schedule, so it includes any queueing the
/// server caused); <see cref="ServiceTime"/> is from the actual send. Errors are non-2xx answers, timeouts, transport
/// errors and partial answers; they are not in the histograms. <see cref="Qps"/> counts every measured request.
/// CPU figures are percent of one core over the measured window; <see cref="ServerRunQueueWaitPercent"/> is how long
/// server threads were ready to run but waited for a CPU (other processes, this generator, or the runtime's own
/// spin-and-yield); <see cref="OtherCpuPercent"/> is what every other process on the machine used meanwhile (noise).
/// <see cref="ServerCpuMsPerRequest"/> is the server's CPU time per measured request: a cost that, unlike QPS, barely
/// moves when other processes compete for the cores (cores × 1000 / it bounds the QPS of an otherwise idle machine).
/// </remarks>
internal sealed record RunResult(
    string Label,
    string Mode,
    string Loop,
    int Clients,
    double? TargetRate,
    double WarmupSeconds,
    double DurationSeconds,
    string Url,
    string Collection,
    string QueryFile,
    int Queries,
    bool Filtered,
    string Order,
    int Seed,
    int TopK,
    long WarmupRequests,
    long Requests,
    long Ok,
    long Empty,
    long Errors,
    Dictionary<string, long> ErrorKinds,
    double MeasuredSeconds,
    double Qps,
    LatencySummary Latency,
    LatencySummary ServiceTime,
    LatencySummary? DispatchLag,
    double LoadGenCpuPercent,
    double? ServerCpuPercent,
    double? ServerRunQueueWaitPercent,
    double? OtherCpuPercent,
    double? ServerCpuMsPerRequest,
    string? LoadAverage,
    string StartedUtc,
    string Machine,
    List<TimelinePoint> Timeline);
