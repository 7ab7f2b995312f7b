using Mosaic.Core.Placement;

namespace Mosaic.Coordinator.Placement;

/// <summary>Which live shard-holding nodes placement counts on, and which of them may receive new or moved replicas.</summary>
/// <remarks>
/// <see cref="Eligible"/> are the live, undrained workers: their replicas count towards a shard's R. <see cref="Targets"/>
/// leaves out those whose data disk is below their floor, since a replica built there would stall once the disk fills;
/// replicas they already hold stay. When every eligible node is low, <see cref="Targets"/> is all of them
/// (<see cref="DiskLowEverywhere"/>): shards without enough replicas are a worse failure than a fuller disk.
/// <see cref="Room"/> is what each target that reports its disk has free above its floor (none when every node is low:
/// then placement places as if none were).
/// </remarks>
public sealed record PlacementTargets(IReadOnlySet<string> Eligible, IReadOnlySet<string> Targets, IReadOnlyList<NodeInfo> DiskLow, bool DiskLowEverywhere)
{
    public IReadOnlyDictionary<string, long> Room { get; init; } = new Dictionary<string, long>();

    /// <summary>True when the only eligible node is an embedded server's: a cluster of one by design, which holds one
    /// replica of each shard whatever the collection's R.</summary>
    public bool EmbeddedOnly => Eligible.Count == 1 && Eligible.Contains(NodeInfo.EmbeddedId);

    public static PlacementTargets Of(IEnumerable<NodeInfo> nodes)
    {
        var eligible = nodes.Where(n => n.Live && n.Role.HoldsShards() && !n.Drained).ToList();
        var low = eligible.Where(n => n.DiskLow).ToList();
        bool everywhere = low.Count > 0 && low.Count == eligible.Count;
        var targets = eligible.Where(n => everywhere || !n.DiskLow).ToList();
        return new PlacementTargets(
            eligible.Select(n => n.NodeId).ToHashSet(StringComparer.Ordinal),
            targets.Select(n => n.NodeId).ToHashSet(StringComparer.Ordinal),
            low,
            everywhere)
        {
            Room = everywhere
                ? new Dictionary<string, long>()
                : targets.Where(n => n.Disk is { FloorBytes: > 0 }).ToDictionary(n => n.NodeId, n => n.Disk!.FreeBytes - n.Disk.FloorBytes, StringComparer.Ordinal),
        };
    }
}
