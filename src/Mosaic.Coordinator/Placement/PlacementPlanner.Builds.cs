using Mosaic.Core.Placement;

namespace Mosaic.Coordinator.Placement;

/// <summary>Build slots: at most <see cref="PlacementOptions.MaxBuildsPerNode"/> replicas build on a node at once, and
/// which shards get the slots first.</summary>
public sealed partial class PlacementPlanner
{
    /// <summary>Replicas the last round had a place for but that wait for a build slot there
    /// (<see cref="PlacementOptions.MaxBuildsPerNode"/>): pending, not blocked; they start as builds finish.</summary>
    public int Waiting => _slots.Waiting;

    /// <summary>Gives every shard the replicas it misses, one at a time, always to the most exposed shard next
    /// (<see cref="ShardNeed.Urgency"/>): the first build slots go to the shards most likely to be lost.</summary>
    /// <remarks>
    /// Serving shards before split children (a child's slots are served by its parent meanwhile). Then the fewest copies
    /// first, counting serving replicas and those given this round, so every shard that serves nowhere (a new
    /// collection's, or one whose every replica died) gets its first replica before any gets a second; a dead worker's
    /// shard that still serves once goes before growth of shards that serve twice, and a drain's replacement (the drained
    /// replica still serves) comes after both. Then the fewest missing, so at equal copies a shard whose worker died (one
    /// missing) goes before one whose R was raised by two. A shard at R 2 that lost a worker and one whose R went 1 → 2 are
    /// then the same (one copy, one missing): nothing tells them apart, nor need it. Ties keep store order.
    /// </remarks>
    private void PlaceByUrgency(List<ShardNeed> needs, PlacementTargets nodes, Dictionary<string, double> weights, List<PlacementAction> actions, ref int inFlight)
    {
        var queue = new PriorityQueue<ShardNeed, (int, int, int, int)>();
        for (int i = 0; i < needs.Count; i++)
        {
            Enqueue(queue, needs[i], i);
        }

        var order = needs.Select((need, i) => (need, i)).ToDictionary(x => x.need, x => x.i);
        while (queue.TryDequeue(out var need, out _))
        {
            PlaceNext(need, nodes, weights, actions, ref inFlight);
            Enqueue(queue, need, order[need]);
        }
    }

    private static void Enqueue(PriorityQueue<ShardNeed, (int, int, int, int)> queue, ShardNeed need, int order)
    {
        if (need.Missing > 0)
        {
            var (tier, copies, missing) = need.Urgency;
            queue.Enqueue(need, (tier, copies, missing, order));
        }
    }

    /// <summary>Where a replica of a shard that serves nowhere builds now: the lightest of <paramref name="fits"/> with a
    /// free slot (its availability before the balance), else the lightest whose slot a rebalancing move holds, which gives
    /// way. Null when every slot of every place builds something that is not optional: it waits, first in line.</summary>
    private string? SlotForUnavailable(List<string> fits, List<PlacementAction> actions) =>
        fits.FirstOrDefault(_slots.Free) ?? fits.FirstOrDefault(node => YieldMove(node, actions));

    /// <summary>Drops a rebalancing move's replica still building on <paramref name="node"/>, when the replica it was to
    /// replace still serves: the move was optional, and is planned again once the rebalancer next runs.</summary>
    /// <remarks>A leader that took over mid-move does not know it as a move (the sources live in memory), so it lets it
    /// finish like any build.</remarks>
    private bool YieldMove(string node, List<PlacementAction> actions)
    {
        var move = _slots.BuildingOn(node).FirstOrDefault(b =>
            _moveSources.TryGetValue((b.CollectionId, b.Shard), out var source) && source != node
            && _assignments.Any(a => a.CollectionId == b.CollectionId && a.Shard == b.Shard && a.NodeId == source && a.State == ReplicaState.Serving));
        if (move is null)
        {
            return false;
        }

        actions.Add(new PlacementAction.Unassign(move.CollectionId, move.Shard, node));
        _moveSources.Remove((move.CollectionId, move.Shard));
        _slots.Release(node, move);
        return true;
    }
}
