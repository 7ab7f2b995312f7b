using Mosaic.Core.Collections;
using Mosaic.Core.Placement;
using Mosaic.Core.Sharding;

namespace Mosaic.Coordinator.Placement;

/// <summary>Decides what placement should change, from one consistent look at the store; pure apart from the few
/// timestamps it remembers between rounds (when a replica started draining, when the last move was planned).</summary>
/// <remarks>
/// <para>Every round, in order:</para>
/// <list type="number">
/// <item>Replicas of dead nodes, dropped collections and retired shards are removed.</item>
/// <item>Every held shard gets R replicas on live, undrained workers (the lightest first, never one whose data disk is
/// below its floor unless all are: <see cref="PlacementTargets"/>). Replicas on drained nodes,
/// and replicas Failed for longer than <see cref="PlacementOptions.ReplaceFailedAfter"/>, do not count, so a drain (or a
/// replica that keeps failing) starts by building their replacements. R is the collection's replica count as the catalog
/// holds it now (it may change while the collection serves); with fewer such workers than R a shard gets one per worker
/// and is reported in <see cref="Blocked"/> with what it lacks (not on an embedded server, a cluster of one by design).</item>
/// <item>A shard with more replicas than it needs, once R of them serve on undrained nodes, drains the extra ones
/// (drained nodes first, then the source of a move); a draining replica is removed after <see cref="PlacementOptions.DrainGrace"/>.
/// So a move never lowers availability: the new replica serves before the old one stops taking queries.</item>
/// <item>Splits: a split whose children all serve, caught up, switches the map; a replaced parent retires after the grace;
/// a shard past the split threshold starts splitting.</item>
/// <item>Rebalancing: when nothing else moves, the cooldown has passed and the heaviest node weighs more than
/// <see cref="PlacementOptions.RebalanceAbove"/> × the lightest target, one replica moves from the heaviest to the lightest target
/// it fits on (the next lightest when it fits none lighter, while the heaviest still weighs more than the threshold × that
/// target; the one that best halves the gap, only if it shrinks the gap by more than the hysteresis, and not one that moved within
/// <see cref="PlacementOptions.ShardRestAfterMove"/>).</item>
/// </list>
/// Weight = bytes held + recent searches per second × <see cref="PlacementOptions.QueryLoadBytes"/>. A replica's bytes are its
/// documents × its collection's mean bytes per document, not its files' size: a freshly built replica's file has an
/// uncheckpointed WAL, an old one free pages, and a move must not look like a weight change, or moves chase their own
/// noise (measured: a replica moved back after its new copy's WAL made the target look heaviest).
/// </remarks>
public sealed partial class PlacementPlanner(PlacementOptions options)
{
    private readonly Dictionary<(long, int, string), TimeSpan> _drainingSince = [];
    private readonly Dictionary<(long, int, string), TimeSpan> _failedSince = [];
    private readonly Dictionary<(long, int), string> _moveSources = [];
    private readonly Dictionary<(long, int), TimeSpan> _movedAt = [];
    private TimeSpan? _lastMove;
    private TimeSpan? _imbalancedSince;
    private Dictionary<(long, int), double> _shardLoad = [];
    private Dictionary<long, double> _bytesPerDoc = [];
    private double _newReplicaWeight = 1;
    private Dictionary<(long, int), long> _shardBytes = [];
    private ReplicaRoom _room = new(PlacementTargets.Of([]), []);
    private readonly Dictionary<(long, int), PlacementBlock> _blocked = [];

    /// <summary>Whom the last round counted on and could place on (nodes low on disk are left out of the targets).</summary>
    public PlacementTargets Targets { get; private set; } = PlacementTargets.Of([]);

    /// <summary>Shards the last round could not give a replica they need, with the reason: a drain of a node holding one
    /// of them waits (its replica serving) until a place appears.</summary>
    public IReadOnlyList<PlacementBlock> Blocked => [.. _blocked.Values];

    public IReadOnlyList<PlacementAction> Plan(IReadOnlyList<CollectionInfo> collections, IReadOnlyList<NodeInfo> nodes, PlacementSnapshot placement, TimeSpan now)
    {
        var actions = new List<PlacementAction>();
        var workers = nodes.Where(n => n.Live && n.Role.HoldsShards()).ToDictionary(n => n.NodeId, StringComparer.Ordinal);
        Targets = PlacementTargets.Of(workers.Values);
        var eligible = Targets.Eligible;
        var targets = Targets.Targets;
        var byId = collections.ToDictionary(c => c.Id);
        var assignments = new List<ReplicaAssignment>();
        foreach (var a in placement.Assignments)
        {
            bool keep = workers.ContainsKey(a.NodeId) && byId.TryGetValue(a.CollectionId, out var c) && c.ShardMap.Find(a.Shard) is { IsHeld: true };
            if (keep)
            {
                assignments.Add(a);
            }
            else
            {
                actions.Add(new PlacementAction.Unassign(a.CollectionId, a.Shard, a.NodeId));
            }
        }

        ForgetGone(assignments);
        _blocked.Clear();
        _shardLoad = ShardLoad(assignments);
        _shardBytes = ShardBytes(collections, assignments);
        _room = new ReplicaRoom(Targets, assignments.Where(a => a.State == ReplicaState.Building)
            .GroupBy(a => a.NodeId)
            .ToDictionary(g => g.Key, g => g.Sum(a => Math.Max(0, _shardBytes.GetValueOrDefault((a.CollectionId, a.Shard)) - a.Bytes)), StringComparer.Ordinal));
        var weights = Weights(assignments, eligible);
        // A replica that has reported nothing yet (a new collection's) weighs like an average one, at least 1, so a
        // batch of new shards spreads over the workers instead of all landing on the lightest.
        _newReplicaWeight = Math.Max(1, assignments.Select(ReplicaWeight).DefaultIfEmpty(0).Average());
        int inFlight = assignments.Count(a => a.State is ReplicaState.Building or ReplicaState.Draining);

        foreach (var collection in collections)
        {
            int wanted = Math.Max(1, Math.Min(collection.Spec.Replicas, eligible.Count));
            foreach (var shard in collection.ShardMap.Held)
            {
                var replicas = assignments.Where(a => a.CollectionId == collection.Id && a.Shard == shard.Id).ToList();
                PlanShard(collection, shard, replicas, wanted, Targets, weights, now, actions, ref inFlight);
            }

            PlanSplits(collection, assignments, wanted, now, actions);
        }

        double imbalance = Imbalance(weights, targets);
        _imbalancedSince = imbalance > options.RebalanceAbove ? _imbalancedSince ?? now : null;
        RebalanceBlocked = imbalance > options.RebalanceAbove ? WhyNoRebalance(assignments, targets, weights) : null;
        if (actions.Count == 0 && now - _imbalancedSince >= options.RebalanceAfter && (_lastMove is null || now - _lastMove >= options.MoveCooldown))
        {
            for (; inFlight < options.MaxConcurrentMoves; inFlight++)
            {
                if (!PlanRebalance(collections, assignments, targets, weights, now, actions))
                {
                    break;
                }
            }
        }

        return actions;
    }

    /// <summary>Shards whose log may be compacted now: every replica serves with no lag, and no building shard (a split
    /// child still loading) overlaps them.</summary>
    public static IEnumerable<ShardInfo> Compactable(CollectionInfo collection, IEnumerable<ReplicaAssignment> assignments)
    {
        var mine = assignments.Where(a => a.CollectionId == collection.Id).ToLookup(a => a.Shard);
        var building = collection.ShardMap.All.Where(s => s.State == ShardState.Building).ToList();
        foreach (var shard in collection.ShardMap.Serving)
        {
            var replicas = mine[shard.Id].ToList();
            if (replicas.Count > 0 && replicas.All(a => a.State == ReplicaState.Serving && a.Lag == 0)
                && !building.Any(b => b.Range.Start < shard.Range.End && shard.Range.Start < b.Range.End))
            {
                yield return shard;
            }
        }
    }

    /// <summary>max weight over undrained shard-holding nodes ÷ min over those of them that may take replicas
    /// (<paramref name="targets"/>; all when null): a node low on disk holding little is no imbalance placement could
    /// fix. 1 when all are equal or there is at most one.</summary>
    public static double Imbalance(IReadOnlyDictionary<string, double> weights, IReadOnlySet<string>? targets = null)
    {
        var lightest = weights.Where(w => targets is null || targets.Contains(w.Key)).Select(w => w.Value).ToList();
        if (weights.Count < 2 || lightest.Count == 0)
        {
            return 1;
        }

        double max = weights.Values.Max(), min = lightest.Min();
        return max <= 0 ? 1 : max / Math.Max(min, 1);
    }

    /// <summary>Weight of every undrained live worker from what its replicas last reported.</summary>
    public Dictionary<string, double> Weights(IEnumerable<ReplicaAssignment> assignments, IEnumerable<string> nodes)
    {
        var weights = nodes.ToDictionary(n => n, _ => 0.0, StringComparer.Ordinal);
        var list = assignments.ToList();
        _shardLoad = ShardLoad(list);
        _bytesPerDoc = BytesPerDoc(list);
        // A replica still building has reported nothing yet: count it as heavy as its shard's biggest replica.
        var shardWeight = list.GroupBy(a => (a.CollectionId, a.Shard)).ToDictionary(g => g.Key, g => g.Max(ReplicaWeight));
        foreach (var a in list.Where(a => a.State != ReplicaState.Draining))
        {
            if (weights.ContainsKey(a.NodeId))
            {
                weights[a.NodeId] += Math.Max(ReplicaWeight(a), shardWeight[(a.CollectionId, a.Shard)]);
            }
        }

        return weights;
    }

    private double ReplicaWeight(ReplicaAssignment a) =>
        (a.Docs > 0 && _bytesPerDoc.TryGetValue(a.CollectionId, out double perDoc) ? a.Docs * perDoc : a.Bytes)
        + (_shardLoad.GetValueOrDefault((a.CollectionId, a.Shard)) * options.QueryLoadBytes);

    /// <summary>Each collection's bytes per document over the replicas that report both.</summary>
    private static Dictionary<long, double> BytesPerDoc(IEnumerable<ReplicaAssignment> assignments) =>
        assignments.Where(a => a.Docs > 0 && a.Bytes > 0).GroupBy(a => a.CollectionId)
            .ToDictionary(g => g.Key, g => (double)g.Sum(a => a.Bytes) / g.Sum(a => a.Docs));

    /// <summary>Searches/s of each shard split evenly over its replicas: the load a replica brings wherever it lives.</summary>
    private static Dictionary<(long, int), double> ShardLoad(IEnumerable<ReplicaAssignment> assignments) =>
        assignments.GroupBy(a => (a.CollectionId, a.Shard)).ToDictionary(g => g.Key, g => g.Sum(a => a.Qps) / Math.Max(1, g.Count(a => a.State != ReplicaState.Draining)));

    private void PlanShard(
        CollectionInfo collection, ShardInfo shard, List<ReplicaAssignment> replicas, int wanted, PlacementTargets nodes,
        Dictionary<string, double> weights, TimeSpan now, List<PlacementAction> actions, ref int inFlight)
    {
        var eligible = nodes.Eligible;
        // Draining replicas go after the grace.
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
            return; // a replaced parent keeps what it has until it retires
        }

        var active = replicas.Where(a => a.State != ReplicaState.Draining).ToList();
        // A replica Failed for longer than ReplaceFailedAfter (its node's restarts keep failing) counts like one on a
        // drained node: a replacement builds elsewhere, and the failed one is the first to go once it serves.
        var onEligible = active.Where(a => eligible.Contains(a.NodeId) && !FailedTooLong(a, now)).ToList();
        var holders = active.Select(a => a.NodeId).ToHashSet(StringComparer.Ordinal);
        long bytes = _shardBytes.GetValueOrDefault((collection.Id, shard.Id));
        int placed = 0;
        for (int missing = wanted - onEligible.Count; missing > 0; missing--, placed++)
        {
            var target = nodes.Targets.Where(n => !holders.Contains(n) && _room.Fits(n, bytes)).OrderBy(n => weights[n]).ThenBy(n => n, StringComparer.Ordinal).FirstOrDefault();
            if (target is null)
            {
                Block(collection, shard, wanted, onEligible.Count + placed, holders, bytes);
                break;
            }

            actions.Add(new PlacementAction.Assign(collection.Id, shard.Id, target));
            _room.Take(target, bytes);
            holders.Add(target);
            weights[target] += Math.Max(_newReplicaWeight, replicas.Select(ReplicaWeight).DefaultIfEmpty(0).Max());
            inFlight++;
        }

        // R above the number of live, undrained workers (raised past them, or workers gone): the shard gets what there is,
        // and says what it lacks as a shard without a place does. Not embedded: that node is a cluster of one by design,
        // and R is what each shard gets once the data moves to a cluster.
        if (collection.Spec.Replicas > wanted && !nodes.EmbeddedOnly)
        {
            Block(collection, shard, collection.Spec.Replicas, Math.Min(wanted, onEligible.Count + placed), holders, bytes);
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

    private void PlanSplits(CollectionInfo collection, List<ReplicaAssignment> assignments, int wanted, TimeSpan now, List<PlacementAction> actions)
    {
        var map = collection.ShardMap;
        foreach (var parent in map.All.Where(s => s.State == ShardState.Serving))
        {
            var children = map.ChildrenOf(parent.Id).ToList();
            if (children.Count == 0 || children.Any(c => c.State != ShardState.Building))
            {
                continue;
            }

            bool caughtUp = children.All(child => assignments.Count(a =>
                a.CollectionId == collection.Id && a.Shard == child.Id && a.State == ReplicaState.Serving && a.Lag == 0) >= wanted);
            if (caughtUp)
            {
                actions.Add(new PlacementAction.ChangeMap(collection.Id, map, map.CompleteSplit(parent.Id), $"split of shard {parent.Id} switches to {string.Join(", ", children.Select(c => c.Id))}"));
                return; // one map change per collection per round: each is a compare-and-set on the version
            }
        }

        foreach (var draining in map.All.Where(s => s.State == ShardState.Draining))
        {
            var key = (collection.Id, draining.Id, "");
            if (!_drainingSince.TryGetValue(key, out var since))
            {
                _drainingSince[key] = now;
            }
            else if (now - since >= options.DrainGrace)
            {
                _drainingSince.Remove(key);
                actions.Add(new PlacementAction.ChangeMap(collection.Id, map, map.Retire(draining.Id), $"shard {draining.Id} retires"));
                return;
            }
        }

        if (options.SplitAtDocs <= 0 && options.SplitAtBytes <= 0)
        {
            return;
        }

        foreach (var shard in map.Serving)
        {
            var serving = assignments.Where(a => a.CollectionId == collection.Id && a.Shard == shard.Id && a.State == ReplicaState.Serving).ToList();
            bool big = serving.Count > 0
                && ((options.SplitAtDocs > 0 && serving.Max(a => a.Docs) > options.SplitAtDocs)
                    || (options.SplitAtBytes > 0 && serving.Max(a => a.Bytes) > options.SplitAtBytes));
            if (big && shard.Range.Count >= 2 && !map.ChildrenOf(shard.Id).Any() && !map.All.Any(s => s.State == ShardState.Building))
            {
                actions.Add(new PlacementAction.ChangeMap(collection.Id, map, map.BeginSplit(shard.Id), $"shard {shard.Id} passed the split threshold"));
                return;
            }
        }
    }

    /// <summary>Plans one move from the heaviest node to the lightest of <paramref name="targets"/> that a replica fits
    /// (the next lightest when none fits the lightest, and so on while the pair is still past the threshold); false when
    /// the nodes are balanced enough or nothing fits.</summary>
    private bool PlanRebalance(
        IReadOnlyList<CollectionInfo> collections, List<ReplicaAssignment> assignments, IReadOnlySet<string> targets,
        Dictionary<string, double> weights, TimeSpan now, List<PlacementAction> actions)
    {
        if (weights.Count < 2 || targets.Count == 0)
        {
            return false;
        }

        foreach (var key in _movedAt.Where(m => now - m.Value >= options.ShardRestAfterMove).Select(m => m.Key).ToList())
        {
            _movedAt.Remove(key);
        }

        var held = collections.ToDictionary(c => c.Id);
        var heaviest = Heaviest(weights);
        foreach (var lighter in LighterTargets(weights, targets, heaviest))
        {
            double gap = heaviest.Value - lighter.Value;
            var candidates = assignments
                .Where(a => a.NodeId == heaviest.Key && a.State == ReplicaState.Serving
                    && held[a.CollectionId].ShardMap.Find(a.Shard) is { State: ShardState.Serving }
                    && !_moveSources.ContainsKey((a.CollectionId, a.Shard))
                    && !(_movedAt.TryGetValue((a.CollectionId, a.Shard), out var movedAt) && now - movedAt < options.ShardRestAfterMove)
                    && !assignments.Any(b => b.CollectionId == a.CollectionId && b.Shard == a.Shard && b.NodeId == lighter.Key)
                    && _room.Fits(lighter.Key, _shardBytes.GetValueOrDefault((a.CollectionId, a.Shard))))
                .Select(a => (Replica: a, Weight: ReplicaWeight(a)))
                .Where(c => gap > c.Weight * (1 + options.Hysteresis))
                .OrderBy(c => Math.Abs((gap / 2) - c.Weight))
                .ToList();
            if (candidates.Count == 0)
            {
                continue;
            }

            var (move, weight) = candidates[0];
            actions.Add(new PlacementAction.Assign(move.CollectionId, move.Shard, lighter.Key));
            _room.Take(lighter.Key, _shardBytes.GetValueOrDefault((move.CollectionId, move.Shard)));
            _moveSources[(move.CollectionId, move.Shard)] = move.NodeId;
            _movedAt[(move.CollectionId, move.Shard)] = now;
            weights[heaviest.Key] -= weight;
            weights[lighter.Key] += weight;
            _lastMove = now;
            return true;
        }

        return false;
    }

    private void ForgetGone(List<ReplicaAssignment> assignments)
    {
        var present = assignments.Select(a => (a.CollectionId, a.Shard, a.NodeId)).ToHashSet();
        foreach (var key in _drainingSince.Keys.Where(k => k.Item3.Length > 0 && !present.Contains(k)).ToList())
        {
            _drainingSince.Remove(key);
        }

        var failed = assignments.Where(a => a.State == ReplicaState.Failed).Select(a => (a.CollectionId, a.Shard, a.NodeId)).ToHashSet();
        foreach (var key in _failedSince.Keys.Where(k => !failed.Contains(k)).ToList())
        {
            _failedSince.Remove(key); // recovered or removed
        }
    }

    private bool FailedTooLong(ReplicaAssignment a, TimeSpan now)
    {
        if (a.State != ReplicaState.Failed)
        {
            return false;
        }

        var key = (a.CollectionId, a.Shard, a.NodeId);
        if (!_failedSince.TryGetValue(key, out var since))
        {
            _failedSince[key] = since = now;
        }

        return now - since >= options.ReplaceFailedAfter;
    }
}
