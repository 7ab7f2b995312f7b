using Mosaic.Core.Collections;
using Mosaic.Core.Placement;
using Mosaic.Core.Sharding;

namespace Mosaic.Coordinator.Placement;

/// <summary>One held shard's replicas in a round: what it has, and, once the round's new replicas are placed
/// (<see cref="PlaceByUrgency"/>), its shortfall and the extra replicas it drains.</summary>
public sealed partial class PlacementPlanner
{
    /// <summary>Removes the shard's draining replicas whose grace is over, and says what it has; null for a replaced
    /// parent, which keeps what it has until it retires.</summary>
    private ShardNeed? Prepare(CollectionInfo collection, ShardInfo shard, List<ReplicaAssignment> replicas, int wanted, IReadOnlySet<string> eligible, TimeSpan now, List<PlacementAction> actions)
    {
        foreach (var a in replicas.Where(a => a.State == ReplicaState.Draining))
        {
            var key = (a.CollectionId, a.Shard, a.NodeId);
            if (!_drainingSince.TryGetValue(key, out var since))
            {
                _drainingSince[key] = now;
            }
            else if (now - since >= options.DrainGrace)
            {
                actions.Add(new PlacementAction.Unassign(a.CollectionId, a.Shard, a.NodeId));
                _drainingSince.Remove(key);
            }
        }

        if (shard.State == ShardState.Draining)
        {
            return null;
        }

        var active = replicas.Where(a => a.State != ReplicaState.Draining).ToList();
        // A replica Failed for longer than ReplaceFailedAfter (its node's restarts keep failing) counts like one on a
        // drained node: a replacement builds elsewhere, and the failed one is the first to go once it serves.
        return new ShardNeed(collection, shard, replicas, wanted)
        {
            Counted = active.Where(a => eligible.Contains(a.NodeId) && !FailedTooLong(a, now)).ToList(),
            Holders = active.Select(a => a.NodeId).ToHashSet(StringComparer.Ordinal),
            Bytes = _shardBytes.GetValueOrDefault((collection.Id, shard.Id)),
        };
    }

    /// <summary>After the round's new replicas: the shard's shortfall past the workers, and its extra replicas drained.</summary>
    private void Finish(ShardNeed need, PlacementTargets nodes, Dictionary<string, double> weights, List<PlacementAction> actions, ref int inFlight)
    {
        var (collection, shard, wanted, active, onEligible, holders, bytes) = (need.Collection, need.Shard, need.Wanted, need.Active, need.Counted, need.Holders, need.Bytes);
        var eligible = nodes.Eligible;
        // R above the number of live, undrained workers (raised past them, or workers gone): the shard gets what there is,
        // and says what it lacks as a shard without a place does. Not embedded: that node is a cluster of one by design,
        // and R is what each shard gets once the data moves to a cluster. Not while some of what there is waits for a build
        // slot: that is pending, not blocked, and the shortfall is said once they are placed.
        if (collection.Spec.Replicas > wanted && !nodes.EmbeddedOnly && need.Waiting == 0)
        {
            Block(collection, shard, collection.Spec.Replicas, Math.Min(wanted, onEligible.Count + need.Placed), holders, bytes);
        }

        // Extra replicas drain only once every new one serves and enough serve where they should: a replica still
        // building is the future of the shard, never the one to drop.
        int serving = onEligible.Count(a => a.State == ReplicaState.Serving);
        int extra = active.Count - wanted;
        // A drain never leaves a shard with fewer serving replicas than it had, up to R: with fewer undrained workers than
        // that (or none with room), the drained node's replica stays and serves, and the shard says why.
        int keep = Math.Min(collection.Spec.Replicas, active.Count(a => a.State != ReplicaState.Failed));
        if (extra <= 0 || serving < wanted || active.Any(a => a.State == ReplicaState.Building))
        {
            return;
        }

        _moveSources.TryGetValue((collection.Id, shard.Id), out var source);
        var victims = active
            .OrderBy(a => eligible.Contains(a.NodeId) ? 1 : 0)
            .ThenBy(a => a.NodeId == source ? 0 : 1)
            .ThenBy(a => a.State == ReplicaState.Failed ? 0 : 1)
            .ThenBy(a => nodes.Targets.Contains(a.NodeId) ? 1 : 0) // an extra on a disk-low node frees its disk

            .ThenByDescending(a => weights.GetValueOrDefault(a.NodeId))
            .Take(extra);
        foreach (var victim in victims)
        {
            // Never drain below `wanted` serving replicas on undrained nodes.
            if (victim.State == ReplicaState.Serving && eligible.Contains(victim.NodeId))
            {
                if (serving - 1 < wanted)
                {
                    continue;
                }

                serving--;
            }
            else if (victim.State == ReplicaState.Serving && serving < keep)
            {
                Block(collection, shard, keep, onEligible.Count, holders, bytes);
                continue;
            }

            actions.Add(new PlacementAction.MarkDraining(victim.CollectionId, victim.Shard, victim.NodeId));
            inFlight++;
        }

        _moveSources.Remove((collection.Id, shard.Id));
    }
}
