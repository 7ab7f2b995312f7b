namespace Mosaic.Load.Results;

/// <summary>One second of a run (by completion time): requests completed, errors among them, and the slowest latency.</summary>
public sealed record TimelinePoint(int Second, long Completed, long Errors, double MaxMs);
