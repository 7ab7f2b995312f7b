using Mosaic.Load.Results;

namespace Mosaic.Load;

/// <summary>A phase's counts and latency summaries at one moment.</summary>
public sealed record PhaseSnapshot(
    long Requests,
    long Ok,
    long Empty,
    long Errors,
    Dictionary<string, long> ErrorKinds,
    LatencySummary Latency,
    LatencySummary ServiceTime,
    LatencySummary DispatchLag,
    List<TimelinePoint> Timeline);
