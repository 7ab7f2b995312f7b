using Mosaic.Contracts;
using Mosaic.Core.Observability;

namespace Mosaic.Hosting.Advice;

/// <summary>Advice on data disks: a live shard-holding node below its floor takes no new replicas until it has room.</summary>
public sealed partial class Advisor
{
    private static void DiskAdvice(ClusterResponse cluster, List<RecommendationResponse> recommendations)
    {
        // Alive only: a draining node gets no replicas anyway and ends holding none.
        var reporting = cluster.Nodes.Where(n => n.State == "alive" && n.DiskFreeBytes is not null).ToList();
        var low = reporting.Where(n => n.DiskLow).ToList();
        bool everywhere = low.Count > 0 && low.Count == reporting.Count;
        foreach (var node in low)
        {
            long free = node.DiskFreeBytes!.Value, total = node.DiskTotalBytes ?? 0;
            string share = total > 0 ? $" ({(double)free / total:P1} of {ByteSize.Format(total)})" : "";
            recommendations.Add(new RecommendationResponse("add_disk",
                $"worker {node.Name} has {ByteSize.Format(free)} free on its data disk{share}, below its floor of {ByteSize.Format(node.DiskFloorBytes ?? 0)}: " +
                (everywhere
                    ? "every worker is below its floor, so placement still places replicas on them; add disk or workers before writes start to fail"
                    : "placement gives it no new replicas (it keeps those it holds); add disk or workers"),
                Node: node.Name));
        }
    }
}
