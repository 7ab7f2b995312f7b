using Mosaic.Core.Placement;

namespace Mosaic.Coordinator.Placement;

/// <summary>Which live shard-holding nodes placement counts on, and which of them may receive new or moved replicas.</summary>
/// <remarks>
/// <see cref="Eligible"/> are the live, undrained workers: their replicas count towards a shard's R. <see cref="Targets"/>
/// leaves out those whose data disk is below their floor, since a replica built there would stall once the disk fills;
/// replicas they already hold stay. When every eligible node is low, <see cref="Targets"/> is all of them
/// (<see cref="DiskLowEverywhere"/>): shards without enough replicas are a worse failure than a fuller disk.
/// </remarks>
public sealed record PlacementTargets(IReadOnlySet<string> Eligible, IReadOnlySet<string> Targets, IReadOnlyList<NodeInfo> DiskLow, bool DiskLowEverywhere)
{
    public static PlacementTargets Of(IEnumerable<NodeInfo> nodes)
    {
        var eligible = nodes.Where(n => n.Live && n.Role.HoldsShards() && !n.Drained).ToList();
        var low = eligible.Where(n => n.DiskLow).ToList();
        bool everywhere = low.Count > 0 && low.Count == eligible.Count;
        return new PlacementTargets(
            eligible.Select(n => n.NodeId).ToHashSet(StringComparer.Ordinal),
            eligible.Where(n => everywhere || !n.DiskLow).Select(n => n.NodeId).ToHashSet(StringComparer.Ordinal),
            low,
            everywhere);
    }
}
