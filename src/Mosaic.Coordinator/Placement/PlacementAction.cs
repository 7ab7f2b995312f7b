using Mosaic.Core.Sharding;

namespace Mosaic.Coordinator.Placement;

/// <summary>One change the placement leader makes in the store.</summary>
public abstract record PlacementAction
{
    public sealed record Assign(long CollectionId, int Shard, string Node) : PlacementAction;

    public sealed record MarkDraining(long CollectionId, int Shard, string Node) : PlacementAction;

    public sealed record Unassign(long CollectionId, int Shard, string Node) : PlacementAction;

    /// <summary>A shard-map change (a split's start, switch, or a parent's retirement), compare-and-set on the version.</summary>
    public sealed record ChangeMap(long CollectionId, ShardMap Expected, ShardMap Next, string Why) : PlacementAction;
}
