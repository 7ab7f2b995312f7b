namespace Mosaic.Coordinator.Placement;

/// <summary>A shard placement could not give the replica it needs this round, and why (no other worker, every other
/// one already holds it, or is low on disk, or has too little room above its floor for the replica's size).</summary>
/// <remarks>A drain whose node holds a replica of such a shard waits, the replica still serving, until a place appears.</remarks>
public sealed record PlacementBlock(long CollectionId, int Shard, string Reason);
