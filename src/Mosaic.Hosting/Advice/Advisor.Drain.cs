using Mosaic.Contracts;

namespace Mosaic.Hosting.Advice;

/// <summary>Advice on drains and shards that wait for a place: the replicas they have keep serving until one appears.</summary>
public sealed partial class Advisor
{
    /// <summary>A blocked drain (unblock_drain, naming the node), and shards placement cannot give a replica for another
    /// reason (unblock_placement, naming the shard).</summary>
    private static void DrainAdvice(ClusterResponse cluster, List<RecommendationResponse> recommendations)
    {
        foreach (var node in cluster.Nodes.Where(n => n.Drain is { State: "blocked" }))
        {
            recommendations.Add(new RecommendationResponse("unblock_drain",
                $"the drain of {node.Name} is blocked with {node.Drain!.ReplicasLeft} replica(s) left, which keep serving: {node.Drain.Reason}. " +
                "It goes on by itself once a worker with room joins (or one is undrained, or has disk added); undrain it to cancel",
                Node: node.Name, Count: node.Drain.ReplicasLeft));
        }

        // Shards that wait for another cause, e.g. a dead worker's replicas with no room for them anywhere.
        var drained = cluster.Nodes.Where(n => n.Drain is not null).Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var collection in cluster.Collections)
        {
            foreach (var shard in collection.Shards.Where(s => s.Blocked is not null && !s.Replicas.Any(r => drained.Contains(r.Node))))
            {
                recommendations.Add(new RecommendationResponse("unblock_placement",
                    $"{shard.Blocked}; placement places it by itself once a worker with room joins or a disk gets room",
                    Collection: collection.Name, Shard: shard.Shard));
            }
        }
    }
}
