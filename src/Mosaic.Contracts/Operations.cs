namespace Mosaic.Contracts;

/// <summary>GET /signals: one node's own signals over its last <see cref="Seconds"/> (every role answers it).</summary>
/// <param name="CpuUtilization">Process CPU time over wall time × <see cref="Cores"/> (0..1); null before two readings.</param>
/// <param name="Requests">HTTP (or gRPC, on a worker) requests this node answered.</param>
/// <param name="LatencyBuckets">Search latency counts in log-spaced buckets (bucket i up to 0.05 ms × 1.15^i), trailing zeros cut.</param>
public sealed record NodeSignalsResponse(
    string Node, string Role, double Seconds, int Cores, double? CpuUtilization, long WorkingSetBytes,
    long Searches, long Partial, long Failed, long Requests, long ServerErrors, long CacheHits, long CacheMisses, List<long> LatencyBuckets);

/// <summary>Searches of the whole cluster over one window: rates, latency quantiles, error, partial and cache hit rates.</summary>
/// <param name="At">End of the window.</param>
/// <param name="ErrorRate">5xx answers over all API requests (0 without requests).</param>
/// <param name="PartialRate">Partial or failed searches over all searches (0 without searches).</param>
/// <param name="CacheHitRate">Cache hits over lookups; null without lookups.</param>
public sealed record SignalSummaryResponse(
    DateTimeOffset At, double Seconds, long Searches, double Qps, double? P50Ms, double? P99Ms, double ErrorRate, double PartialRate, double? CacheHitRate);

/// <summary>A node on the dashboard: what the store knows of it plus what it said of itself (null when it did not answer).</summary>
public sealed record DashboardNodeResponse(
    string Name, string Role, string Address, string State, int ShardsHeld, long Bytes, double? CpuUtilization, long? WorkingSetBytes, double? RequestsPerSecond);

/// <summary>A collection on the dashboard: documents (largest serving replica per shard), imbalance and shards.</summary>
/// <param name="Imbalance">Largest shard's documents over the mean shard's (1 = even).</param>
public sealed record DashboardCollectionResponse(string Name, long Documents, double Imbalance, List<ClusterShardResponse> Shards);

/// <summary>GET /dashboard/data: everything the dashboard page draws, sampled in the background by the answering coordinator.</summary>
/// <param name="ShardImbalance">Heaviest ÷ lightest shard-holding node by placement weight (as /cluster).</param>
/// <param name="Recent">The last ~10 s; <paramref name="LastMinute"/> the last minute; <paramref name="Series"/> one point per sample, oldest first.</param>
public sealed record DashboardResponse(
    string Node, string Role, DateTimeOffset SampledAt, int LiveNodes, int ShardCount, double ShardImbalance,
    List<DashboardNodeResponse> Nodes, List<DashboardCollectionResponse> Collections,
    SignalSummaryResponse Recent, SignalSummaryResponse LastMinute, List<SignalSummaryResponse> Series);
