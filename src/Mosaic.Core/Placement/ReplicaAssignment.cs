namespace Mosaic.Core.Placement;

/// <summary>One replica of one shard of a collection, placed on a node, with its reported state and lag.</summary>
public sealed record ReplicaAssignment(long CollectionId, int Shard, string NodeId, ReplicaState State, long Lag);

/// <summary>Every assignment in the store, with the version that any placement change bumps.</summary>
/// <remarks>Immutable: coordinators cache one and swap it whole when the version moves.</remarks>
public sealed record PlacementSnapshot(long Version, IReadOnlyList<ReplicaAssignment> Assignments);
