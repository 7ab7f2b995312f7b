using System.Text.Json;

namespace Mosaic.Contracts;

/// <summary>Every error: a stable code and a detail naming what is wrong.</summary>
public sealed record ErrorResponse(string Error, string Detail);

/// <summary>A collection's settings, with counts and per-shard statistics when read one at a time.</summary>
public sealed record CollectionResponse(
    string Name,
    int Dimension,
    string Metric,
    int Shards,
    int Replicas,
    Dictionary<string, string> Fields,
    HnswResponse Hnsw,
    long? DocCount = null,
    List<ShardStatsResponse>? ShardStats = null,
    EmbedBody? Embed = null,
    string Quantization = "float",
    RoutingResponse? Routing = null);

public sealed record HnswResponse(int M, int EfConstruction, int EfSearch);

/// <summary>A collection's routing key (absent when it has none).</summary>
public sealed record RoutingResponse(string Field, int Slots);

public sealed record ShardStatsResponse(int Shard, string Range, string State, long DocCount, long VectorCount, long Bytes, long AppliedChanges, long Lag);

public sealed record CollectionListResponse(List<CollectionResponse> Collections);

public sealed record DocumentResponse(string Id, string? Text, float[]? Vector, JsonElement? Fields);

public sealed record WriteResponse(string Id, string Token);

public sealed record BulkResponse(int Written, string Token, List<string>? Missing = null);

public sealed record DeletedResponse(string Name, bool Deleted);

public sealed record SearchHit(string Id, float Score, string? Text = null, JsonElement? Fields = null, float[]? Vector = null);

public sealed record ShardFailureResponse(int Shard, string Reason);

public sealed record ShardsReport(int Total, int Ok, int Failed, List<ShardFailureResponse> Failures);

public sealed record SearchResponse(List<SearchHit> Hits, double TookMs, ShardsReport Shards, double Coverage, bool Partial, bool Cached);

/// <summary>A search that could not meet allow_partial=false (or reached no shard): 503 with the shard report.</summary>
public sealed record PartialFailureResponse(string Error, string Detail, ShardsReport Shards, double Coverage, bool Partial);

public sealed record BatchSearchResponse(List<SearchResponse> Results);

public sealed record HealthResponse(string Status, string? Detail = null);

/// <param name="ShardImbalance">Heaviest ÷ lightest shard-holding node by placement weight (bytes + query load); 1 is even.</param>
/// <param name="RebalanceBlocked">Why the rebalancer cannot bring the imbalance down (no replica of the heaviest node fits
/// the lightest one's room above its disk floor); null when it can or need not.</param>
public sealed record ClusterResponse(List<NodeResponse> Nodes, List<ClusterCollectionResponse> Collections, long? PlacementVersion = null, double ShardImbalance = 1, EmbeddingStatsResponse? Embedding = null, string? RebalanceBlocked = null);

/// <param name="State">alive | draining | dead.</param>
/// <param name="Weight">Placement weight of the replicas it holds (bytes + query load).</param>
/// <param name="DiskFreeBytes">Free bytes of the filesystem its shard files are on, as of its last lease renewal; null for
/// nodes that hold no shards.</param>
/// <param name="DiskFloorBytes">Its floor (Mosaic:Worker:DiskFloorBytes / DiskFloorFraction): below it, <paramref name="DiskLow"/>.</param>
/// <param name="DiskLow">Free space is below the floor: placement gives it no new replicas.</param>
/// <param name="Drain">Where its drain stands; null unless the node is drained.</param>
public sealed record NodeResponse(
    string Name, string Role, string Address, string State, DateTimeOffset? LeaseExpiresAt = null, int ShardsHeld = 0, long Bytes = 0, double Weight = 0,
    long? DiskFreeBytes = null, long? DiskTotalBytes = null, long? DiskFloorBytes = null, bool DiskLow = false, DrainStatusResponse? Drain = null);

/// <summary>A drain's progress.</summary>
/// <param name="State">moving (replacements build elsewhere) | blocked (some replica has nowhere to go: it keeps serving,
/// and the drain goes on by itself once a place appears) | done (it holds nothing).</param>
/// <param name="ReplicasLeft">Replicas still on the node.</param>
/// <param name="Reason">Why it is blocked, naming the shards and every other worker's reason.</param>
public sealed record DrainStatusResponse(string State, int ReplicasLeft, string? Reason = null);

public sealed record ClusterCollectionResponse(string Name, long ShardMapVersion, List<ClusterShardResponse> Shards);

/// <param name="State">building | serving | draining | retired.</param>
/// <param name="Blocked">Why placement cannot give it a replica it needs (no other worker, every other one holds it, or
/// none has room for it above its disk floor); null when nothing waits.</param>
public sealed record ClusterShardResponse(int Shard, string Range, string State, List<ReplicaResponse> Replicas, int? Parent = null, string? Blocked = null);

public sealed record ReplicaResponse(string Node, string State, long Lag, long? DocCount = null, long Bytes = 0, double Qps = 0);

/// <summary>202 of a split: the parent keeps serving while the children build.</summary>
public sealed record SplitResponse(int Parent, List<int> Children);

/// <summary>202 of a drain or undrain; a drain says at once whether it can go on (<see cref="DrainStatusResponse"/>).</summary>
public sealed record DrainResponse(string Node, bool Drained, DrainStatusResponse? Drain = null);
