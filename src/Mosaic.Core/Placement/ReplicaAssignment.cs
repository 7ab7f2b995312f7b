namespace Mosaic.Core.Placement;

/// <summary>One replica of one shard (by shard id) of a collection, placed on a node, with what its worker last reported.</summary>
/// <param name="Bytes">Shard file plus in-memory index size of the replica.</param>
/// <param name="Qps">Searches per second the replica answered recently.</param>
/// <param name="Docs">Documents the replica holds.</param>
public sealed record ReplicaAssignment(long CollectionId, int Shard, string NodeId, ReplicaState State, long Lag, long Bytes = 0, double Qps = 0, long Docs = 0);

/// <summary>Every assignment in the store, with the version that any routing change (placement, catalog, shard maps, drains) bumps.</summary>
/// <remarks>Immutable: coordinators cache one and swap it whole when the version moves.</remarks>
public sealed record PlacementSnapshot(long Version, IReadOnlyList<ReplicaAssignment> Assignments);

/// <summary>What a worker reports of one replica it holds.</summary>
public sealed record ReplicaReport(ReplicaState State, long Lag, long Bytes, double Qps, long Docs);
