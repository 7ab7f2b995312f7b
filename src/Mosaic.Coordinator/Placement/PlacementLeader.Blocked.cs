using Microsoft.Extensions.Logging;

namespace Mosaic.Coordinator.Placement;

/// <summary>Says when a shard cannot get a replica it needs (a drain with nowhere to go, no room for it anywhere), and when it can again.</summary>
public sealed partial class PlacementLeader
{
    private Dictionary<(long, int), string> _blocked = [];
    private bool _rebalanceBlocked;

    /// <summary>Logs shards that start or stop waiting only: the leader plans several times a second, and a reason's free
    /// space figures change with every disk report.</summary>
    private void LogBlockedChanges(IReadOnlyList<PlacementBlock> blocked, string? rebalance)
    {
        var now = blocked.ToDictionary(b => (b.CollectionId, b.Shard), b => b.Reason);
        foreach (var (key, reason) in now.Where(b => !_blocked.ContainsKey(b.Key)))
        {
            LogBlocked(key.Item1, key.Item2, reason);
        }

        foreach (var key in _blocked.Keys.Where(k => !now.ContainsKey(k)))
        {
            LogUnblocked(key.Item1, key.Item2);
        }

        _blocked = now;
        if (rebalance is not null && !_rebalanceBlocked)
        {
            LogRebalanceBlocked(rebalance);
        }

        _rebalanceBlocked = rebalance is not null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Placement: the nodes are imbalanced and the rebalancer cannot help: {Reason}")]
    private partial void LogRebalanceBlocked(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Placement: collection {Collection} shard {Shard} waits for a place: {Reason}")]
    private partial void LogBlocked(long collection, int shard, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Placement: collection {Collection} shard {Shard} has a place again")]
    private partial void LogUnblocked(long collection, int shard);
}
