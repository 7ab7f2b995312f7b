using Microsoft.Extensions.Logging;

namespace Mosaic.Coordinator.Placement;

/// <summary>Says when a worker's data disk crosses its floor, and when placement has to use low disks because all are.</summary>
public sealed partial class PlacementLeader
{
    private HashSet<string> _diskLow = new(StringComparer.Ordinal);
    private bool _diskLowEverywhere;

    /// <summary>Logs changes only: the leader plans several times a second.</summary>
    private void LogDiskChanges(PlacementTargets targets)
    {
        var low = targets.DiskLow.Select(n => n.NodeId).ToHashSet(StringComparer.Ordinal);
        foreach (var node in targets.DiskLow.Where(n => !_diskLow.Contains(n.NodeId)))
        {
            LogDiskLow(node.NodeId, node.Disk!.FreeBytes, node.Disk.FloorBytes);
        }

        foreach (string node in _diskLow.Where(n => !low.Contains(n) && targets.Eligible.Contains(n)))
        {
            LogDiskRecovered(node);
        }

        if (targets.DiskLowEverywhere && !_diskLowEverywhere)
        {
            LogDiskLowEverywhere(targets.Eligible.Count);
        }

        _diskLow = low;
        _diskLowEverywhere = targets.DiskLowEverywhere;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Placement: worker {Node} has {Free} bytes free on its data disk, below its floor of {Floor}: it gets no new replicas (it keeps those it holds); add disk or workers")]
    private partial void LogDiskLow(string node, long free, long floor);

    [LoggerMessage(Level = LogLevel.Information, Message = "Placement: worker {Node}'s data disk is above its floor again; it may receive replicas")]
    private partial void LogDiskRecovered(string node);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Placement: all {Count} worker(s) have their data disk below its floor; placing replicas on them anyway, as if none were low, so that no shard goes without replicas. Add disk or workers")]
    private partial void LogDiskLowEverywhere(int count);
}
