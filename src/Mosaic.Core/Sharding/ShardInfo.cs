using Mosaic.Core.Slots;

namespace Mosaic.Core.Sharding;

/// <summary>One shard of a collection: a stable id (never reused), the slot range it owns, and its state.</summary>
/// <param name="Parent">The shard this one was split from, or null for a shard made at creation.</param>
public sealed record ShardInfo(int Id, SlotRange Range, ShardState State, int? Parent = null)
{
    /// <summary>Whether workers should hold replicas of it (building children catch up before they serve).</summary>
    public bool IsHeld => State is ShardState.Building or ShardState.Serving or ShardState.Draining;
}
