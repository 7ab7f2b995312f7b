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

    /// <summary>The heaviest node, and the lightest of those that may take replicas (<paramref name="targets"/> is not empty).</summary>
    private static (KeyValuePair<string, double> Heaviest, KeyValuePair<string, double> Lightest) Ends(Dictionary<string, double> weights, IReadOnlySet<string> targets) =>
        (weights.OrderByDescending(w => w.Value).ThenBy(w => w.Key, StringComparer.Ordinal).First(),
         weights.Where(w => targets.Contains(w.Key)).OrderBy(w => w.Value).ThenBy(w => w.Key, StringComparer.Ordinal).First());

    /// <summary>Says so when the heaviest node has serving replicas the lightest could take but none fits its room.</summary>
    private string? WhyNoRebalance(List<ReplicaAssignment> assignments, IReadOnlySet<string> targets, Dictionary<string, double> weights)
    {
        if (weights.Count < 2 || !weights.Keys.Any(targets.Contains))
        {
            return null;
        }

        var (heaviest, lightest) = Ends(weights, targets);
        var movable = assignments
            .Where(a => a.NodeId == heaviest.Key && a.State == ReplicaState.Serving
                && !assignments.Any(b => b.CollectionId == a.CollectionId && b.Shard == a.Shard && b.NodeId == lightest.Key))
            .Select(a => _shardBytes.GetValueOrDefault((a.CollectionId, a.Shard)))
            .ToList();
        return movable.Count == 0 || movable.Any(bytes => _room.Fits(lightest.Key, bytes))
            ? null
            : $"no replica on {heaviest.Key} fits the lightest worker: {_room.Describe(lightest.Key)}, and the smallest of its replicas is about {ByteSize.Format(movable.Min())}; add disk or workers";
    }
}
