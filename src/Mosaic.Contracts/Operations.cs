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
/// <param name="DiskFreeBytes">As in /cluster: free bytes of its shard files' disk, and whether that is below its floor.</param>
public sealed record DashboardNodeResponse(
    string Name, string Role, string Address, string State, int ShardsHeld, long Bytes, double? CpuUtilization, long? WorkingSetBytes, double? RequestsPerSecond,
    long? DiskFreeBytes = null, long? DiskFloorBytes = null, bool DiskLow = false);

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

/// <summary>GET /advice: what the cluster should look like, per role and per shard, each with its reason in numbers.</summary>
/// <param name="WindowSeconds">How much signal history the advice read.</param>
/// <param name="Embedded">True for a one-process embedded server (scaling it means moving to a cluster).</param>
/// <param name="Signals">The cluster's searches over the window.</param>
public sealed record AdviceResponse(
    DateTimeOffset At, double WindowSeconds, bool Embedded, List<RoleAdviceResponse> Roles, List<RecommendationResponse> Recommendations, SignalSummaryResponse Signals);

/// <summary>One role's replica recommendation by the HPA algorithm.</summary>
/// <param name="Raw">ceil(current × value ÷ target) of the metric asking for most (before stabilization and rate policies).</param>
/// <param name="Desired">The recommendation (also exported as <c>mosaic_desired_replicas{role}</c>).</param>
public sealed record RoleAdviceResponse(string Role, int Current, int Raw, int Stabilized, int Desired, string Reason, List<MetricAdviceResponse> Metrics);

/// <summary>One scaling metric of a role: its value (averaged per replica) against its target.</summary>
public sealed record MetricAdviceResponse(string Name, double Value, double Target, double Ratio);

/// <summary>One thing to do.</summary>
/// <param name="Action">add_coordinators | remove_coordinators | add_workers | remove_workers | split_shard | add_replica |
/// add_disk | investigate_errors | investigate_partial | rebalance | none.</param>
/// <param name="Count">How many nodes to add or remove, for the scaling actions.</param>
public sealed record RecommendationResponse(string Action, string Reason, string? Collection = null, int? Shard = null, string? Node = null, int? Count = null);
