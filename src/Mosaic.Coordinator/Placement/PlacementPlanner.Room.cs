using Mosaic.Core.Collections;
using Mosaic.Core.Observability;
using Mosaic.Core.Placement;
using Mosaic.Core.Sharding;

namespace Mosaic.Coordinator.Placement;

/// <summary>Replica sizes, and saying why a replica has no place: the shards that wait, and a rebalance nothing fits.</summary>
public sealed partial class PlacementPlanner
{
    /// <summary>Why the rebalancer cannot even out the weights in the last round although they are past the threshold: no
    /// replica of the heaviest node fits the lightest's room above its floor. Null when it can, or need not.</summary>
    public string? RebalanceBlocked { get; private set; }

    private void Block(CollectionInfo collection, ShardInfo shard, int needed, int have, IReadOnlySet<string> holders, long bytes) =>
        _blocked.TryAdd((collection.Id, shard.Id), new PlacementBlock(collection.Id, shard.Id, _room.WhyNone($"{collection.Name}/{shard.Id}", needed, have, holders, bytes)));

    /// <summary>Each held shard's size on disk as its replicas report it (the largest); a split child that has reported
    /// nothing yet is its share of its parent's.</summary>
    private static Dictionary<(long, int), long> ShardBytes(IReadOnlyList<CollectionInfo> collections, List<ReplicaAssignment> assignments)
    {
        var reported = assignments.GroupBy(a => (a.CollectionId, a.Shard)).ToDictionary(g => g.Key, g => g.Max(a => a.Bytes));
        var sizes = new Dictionary<(long, int), long>();
        foreach (var collection in collections)
        {
            foreach (var shard in collection.ShardMap.Held)
            {
                long bytes = reported.GetValueOrDefault((collection.Id, shard.Id));
                if (bytes == 0 && shard.Parent is int parentId && collection.ShardMap.Find(parentId) is { } parent && parent.Range.Count > 0)
                {
                    bytes = reported.GetValueOrDefault((collection.Id, parentId)) * shard.Range.Count / parent.Range.Count;
                }

                sizes[(collection.Id, shard.Id)] = bytes;
            }
        }

        return sizes;
    }

    private static KeyValuePair<string, double> Heaviest(Dictionary<string, double> weights) =>
        weights.OrderByDescending(w => w.Value).ThenBy(w => w.Key, StringComparer.Ordinal).First();

    /// <summary>The nodes of <paramref name="targets"/> a replica of <paramref name="heaviest"/> may move to, lightest
    /// first: those the heaviest still weighs more than <see cref="PlacementOptions.RebalanceAbove"/> times.</summary>
    private IEnumerable<KeyValuePair<string, double>> LighterTargets(Dictionary<string, double> weights, IReadOnlySet<string> targets, KeyValuePair<string, double> heaviest) =>
        weights.Where(w => targets.Contains(w.Key) && w.Key != heaviest.Key && heaviest.Value > 0 && heaviest.Value > options.RebalanceAbove * w.Value)
            .OrderBy(w => w.Value).ThenBy(w => w.Key, StringComparer.Ordinal);

    /// <summary>Says so when the heaviest node has serving replicas a lighter node could take but none fits any such
    /// node's room.</summary>
    private string? WhyNoRebalance(List<ReplicaAssignment> assignments, IReadOnlySet<string> targets, Dictionary<string, double> weights)
    {
        if (weights.Count < 2 || !weights.Keys.Any(targets.Contains))
        {
            return null;
        }

        var heaviest = Heaviest(weights);
        var lighter = LighterTargets(weights, targets, heaviest).Select(w => w.Key).ToList();
        var movable = lighter.Select(node => (Node: node, Sizes: assignments
            .Where(a => a.NodeId == heaviest.Key && a.State == ReplicaState.Serving
                && !assignments.Any(b => b.CollectionId == a.CollectionId && b.Shard == a.Shard && b.NodeId == node))
            .Select(a => _shardBytes.GetValueOrDefault((a.CollectionId, a.Shard)))
            .ToList())).Where(m => m.Sizes.Count > 0).ToList();
        if (movable.Count == 0 || movable.Any(m => m.Sizes.Any(bytes => _room.Fits(m.Node, bytes))))
        {
            return null;
        }

        string where = movable.Count == 1 ? "the lightest worker" : "any lighter worker";
        return $"no replica on {heaviest.Key} fits {where}: {string.Join("; ", movable.Select(m => _room.Describe(m.Node)))}, and the smallest of its replicas is about {ByteSize.Format(movable.Min(m => m.Sizes.Min()))}; add disk or workers";
    }
}
