using Mosaic.Core.Collections;
using Mosaic.Core.Placement;
using Mosaic.Core.Sharding;

namespace Mosaic.Coordinator.Placement;

/// <summary>One held shard in one planning round: its replicas, and the new ones the round gives it.</summary>
internal sealed class ShardNeed(CollectionInfo collection, ShardInfo shard, List<ReplicaAssignment> replicas, int wanted)
{
    public CollectionInfo Collection { get; } = collection;

    public ShardInfo Shard { get; } = shard;

    public List<ReplicaAssignment> Replicas { get; } = replicas;

    /// <summary>Replicas it gets: its R, at most one per live, undrained worker.</summary>
    public int Wanted { get; } = wanted;

    /// <summary>Its replicas that are not draining.</summary>
    public List<ReplicaAssignment> Active { get; } = replicas.Where(a => a.State != ReplicaState.Draining).ToList();

    /// <summary>Those of <see cref="Active"/> that count towards <see cref="Wanted"/>: on live, undrained workers and not
    /// failed for too long.</summary>
    public required List<ReplicaAssignment> Counted { get; init; }

    /// <summary>Nodes that hold one, or were given one this round (started or waiting for a build slot).</summary>
    public required HashSet<string> Holders { get; init; }

    public required long Bytes { get; init; }

    /// <summary>Replicas started this round.</summary>
    public int Placed { get; set; }

    /// <summary>Replicas that have a place this round but wait for a build slot there.</summary>
    public int Waiting { get; set; }

    /// <summary>No node could take the next one: it is in <see cref="PlacementPlanner.Blocked"/>.</summary>
    public bool NoPlace { get; set; }

    public int Serving => Active.Count(a => a.State == ReplicaState.Serving);

    /// <summary>Replicas still to give it this round.</summary>
    public int Missing => NoPlace ? 0 : Wanted - Counted.Count - Placed - Waiting;

    /// <summary>It serves nowhere now: every search misses its documents until a replica builds.</summary>
    public bool Unavailable => Shard.State == ShardState.Serving && Serving == 0;

    /// <summary>Who gets the next build slot: the lowest goes first (see <see cref="PlacementPlanner"/>'s ordering).</summary>
    public (int Tier, int Copies, int Missing) Urgency => (Shard.State == ShardState.Serving ? 0 : 1, Serving + Placed + Waiting, Missing);
}
