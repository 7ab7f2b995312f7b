namespace Mosaic.Load.Results;

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
public sealed record RunResult(
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
    List<TimelinePoint> Timeline)
{
    /// <summary>The result of one finished run: its settings and the measured phase's counts, rate, latency and CPU.</summary>
    public static RunResult From(
        string label, string mode, LoadShape shape, string url, string collection, string queryFile, int queries, bool filtered,
        QueryOrder order, int seed, int topK, RunMeasurement measurement, DateTime startedUtc)
    {
        var m = measurement.Measured;
        double seconds = measurement.MeasuredSeconds;
        return new RunResult(
            label,
            mode,
            shape.LoopName,
            shape.Loop == LoopKind.Closed ? shape.Clients : shape.MaxInFlight,
            shape.Loop == LoopKind.Open ? shape.Rate : null,
            shape.Warmup.TotalSeconds,
            shape.Duration.TotalSeconds,
            url,
            collection,
            queryFile,
            queries,
            filtered,
            order == QueryOrder.RoundRobin ? "round-robin" : "random",
            seed,
            topK,
            measurement.Warmup.Requests,
            m.Requests,
            m.Ok,
            m.Empty,
            m.Errors,
            m.ErrorKinds,
            Math.Round(seconds, 3),
            Math.Round(m.Requests / Math.Max(seconds, 1e-9), 1),
            m.Latency,
            m.ServiceTime,
            shape.Loop == LoopKind.Open ? m.DispatchLag : null,
            measurement.Cpu.LoadGen,
            measurement.Cpu.Server,
            measurement.Cpu.ServerRunQueueWait,
            measurement.Cpu.Others,
            measurement.Cpu.Server is { } serverCpu && m.Requests > 0 ? Math.Round(serverCpu / 100 * seconds * 1000 / m.Requests, 3) : null,
            measurement.LoadAverageAtEnd,
            startedUtc.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
            Mosaic.Load.Results.Machine.Describe(),
            m.Timeline);
    }
}
