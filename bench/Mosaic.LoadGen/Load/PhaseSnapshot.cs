using Mosaic.LoadGen.Results;

namespace Mosaic.LoadGen.Load;

/// <summary>A phase's counts and latency summaries at one moment.</summary>
internal sealed record PhaseSnapshot(
    long Requests,
    long Ok,
    long Empty,
    long Errors,
    Dictionary<string, long> ErrorKinds,
    LatencySummary Latency,
    LatencySummary ServiceTime,
    LatencySummary DispatchLag,
    List<TimelinePoint> Timeline);
