using Mosaic.Contracts;

namespace Mosaic.Hosting.Observability;

/// <summary>Converts a node's <see cref="SignalWindow"/> to and from its /signals answer.</summary>
internal static class NodeSignals
{
    public static NodeSignalsResponse ToResponse(string node, string role, SignalWindow w)
    {
        int used = w.Latency.Length;
        while (used > 0 && w.Latency[used - 1] == 0)
        {
            used--;
        }

        return new NodeSignalsResponse(
            node, role, w.Length.TotalSeconds, SignalRecorder.Cores, w.CpuUtilization is { } cpu ? Math.Round(cpu, 4) : null, Environment.WorkingSet,
            w.Searches, w.Partial, w.Failed, w.Requests, w.ServerErrors, w.CacheHits, w.CacheMisses, [.. w.Latency.AsSpan(0, used)]);
    }

    public static SignalWindow FromResponse(NodeSignalsResponse r)
    {
        var latency = new long[LatencyBuckets.Count];
        for (int b = 0; b < Math.Min(latency.Length, r.LatencyBuckets.Count); b++)
        {
            latency[b] = r.LatencyBuckets[b];
        }

        return new SignalWindow(TimeSpan.FromSeconds(r.Seconds), r.Searches, r.Partial, r.Failed, r.Requests, r.ServerErrors, r.CacheHits, r.CacheMisses, latency, r.CpuUtilization);
    }
}
