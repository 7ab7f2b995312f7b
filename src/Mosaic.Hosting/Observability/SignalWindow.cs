namespace Mosaic.Hosting.Observability;

/// <summary>Signals summed over a window: one node's (<see cref="SignalRecorder"/>) or several nodes' (<see cref="Merge"/>).</summary>
/// <param name="Latency">Search latency counts per <see cref="LatencyBuckets"/> bucket.</param>
/// <param name="CpuUtilization">CPU time over wall time × cores (0..1), averaged over the nodes merged; null when unknown.</param>
public sealed record SignalWindow(
    TimeSpan Length, long Searches, long Partial, long Failed, long Requests, long ServerErrors, long CacheHits, long CacheMisses, long[] Latency, double? CpuUtilization)
{
    /// <summary>Nothing over a window of <paramref name="length"/>.</summary>
    public static SignalWindow Empty(TimeSpan length) => new(length, 0, 0, 0, 0, 0, 0, 0, new long[LatencyBuckets.Count], null);

    public double Qps => Length <= TimeSpan.Zero ? 0 : Searches / Length.TotalSeconds;

    public double RequestsPerSecond => Length <= TimeSpan.Zero ? 0 : Requests / Length.TotalSeconds;

    /// <summary>Median search latency (ms), null without searches.</summary>
    public double? P50Ms => LatencyBuckets.Quantile(Latency, 0.50);

    /// <summary>99th percentile search latency (ms), null without searches.</summary>
    public double? P99Ms => LatencyBuckets.Quantile(Latency, 0.99);

    /// <summary>Server errors (5xx) over all requests; 0 without requests.</summary>
    public double ErrorRate => Requests == 0 ? 0 : (double)ServerErrors / Requests;

    /// <summary>Partial or failed searches over all searches; 0 without searches.</summary>
    public double PartialRate => Searches == 0 ? 0 : (double)(Partial + Failed) / Searches;

    /// <summary>Cache hits over lookups; null when nothing was looked up.</summary>
    public double? CacheHitRate => CacheHits + CacheMisses == 0 ? null : (double)CacheHits / (CacheHits + CacheMisses);

    /// <summary>
    /// Sums windows of the same moment from several nodes (counts and buckets add; CPU averages over those that know it)
    /// or consecutive windows of one place when <paramref name="consecutive"/> (lengths add).
    /// </summary>
    public static SignalWindow Merge(IReadOnlyCollection<SignalWindow> windows, bool consecutive = false)
    {
        if (windows.Count == 0)
        {
            return Empty(TimeSpan.Zero);
        }

        var latency = new long[LatencyBuckets.Count];
        foreach (var w in windows)
        {
            for (int b = 0; b < Math.Min(latency.Length, w.Latency.Length); b++)
            {
                latency[b] += w.Latency[b];
            }
        }

        var cpu = windows.Where(w => w.CpuUtilization is not null).Select(w => w.CpuUtilization!.Value).ToList();
        var length = consecutive ? TimeSpan.FromTicks(windows.Sum(w => w.Length.Ticks)) : windows.Max(w => w.Length);
        return new SignalWindow(
            length, windows.Sum(w => w.Searches), windows.Sum(w => w.Partial), windows.Sum(w => w.Failed), windows.Sum(w => w.Requests),
            windows.Sum(w => w.ServerErrors), windows.Sum(w => w.CacheHits), windows.Sum(w => w.CacheMisses), latency, cpu.Count == 0 ? null : cpu.Average());
    }
}
