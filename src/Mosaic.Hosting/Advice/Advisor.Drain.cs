using Mosaic.Contracts;

namespace Mosaic.Hosting.Advice;

/// <summary>Advice on drains that wait for a place: the node keeps its replicas (they serve) until one appears.</summary>
public sealed partial class Advisor
{
    private static void DrainAdvice(ClusterResponse cluster, List<RecommendationResponse> recommendations)
    {
        foreach (var node in cluster.Nodes.Where(n => n.Drain is { State: "blocked" }))
        {
            recommendations.Add(new RecommendationResponse("unblock_drain",
                $"the drain of {node.Name} is blocked with {node.Drain!.ReplicasLeft} replica(s) left, which keep serving: {node.Drain.Reason}. " +
                "It goes on by itself once a worker with room joins (or one is undrained, or has disk added); undrain it to cancel",
                Node: node.Name, Count: node.Drain.ReplicasLeft));
        }
    }
}
