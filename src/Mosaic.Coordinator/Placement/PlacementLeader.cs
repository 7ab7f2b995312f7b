using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mosaic.Core.Changes;
using Mosaic.Core.Collections;
using Mosaic.Core.Placement;
using Mosaic.Core.Seams;
using Mosaic.Core.Slots;

namespace Mosaic.Coordinator.Placement;

/// <summary>Runs in every coordinator; the one holding the "placement" lease carries out what <see cref="PlacementPlanner"/> decides.</summary>
/// <remarks>
/// Each round reads the catalog (with shard maps), nodes and placement fresh from the store, plans, and applies the
/// actions. A new replica builds from the store and is routed to only once its worker reports it serving, so
/// re-creating, moving or splitting never serves a half-built shard. A new leader starts with no memory: draining
/// replicas then get a full grace from when it first sees them, which only delays their removal.
/// </remarks>
public sealed partial class PlacementLeader(
    ICollectionCatalog catalog,
    INodeRegistry nodes,
    IPlacementStore placement,
    IShardMapStore shardMaps,
    IChangeLog log,
    ChangeSignal signal,
    IOptions<PlacementOptions> options,
    TimeProvider time,
    ILogger<PlacementLeader> logger,
    string nodeId) : BackgroundService
{
    /// <summary>Store signals come with every write; planning at most this often keeps a write load from busying the leader.</summary>
    private static readonly TimeSpan MinRoundGap = TimeSpan.FromMilliseconds(100);

    private readonly ILogger<PlacementLeader> _logger = logger;
    private readonly PlacementPlanner _planner = new(options.Value);
    private readonly long _started = time.GetTimestamp();
    private long _lastCompaction = time.GetTimestamp();

    /// <summary>Slot heads of compactable shards as of the last compaction round that saw them; see <see cref="CompactAsync"/>.</summary>
    private Dictionary<(long Collection, int Shard), (SlotRange Range, long TakenAt, IReadOnlyDictionary<int, long> Heads)> _heads = [];

    public bool IsLeader { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            long generation = signal.Generation;
            try
            {
                bool leader = await nodes.TryHoldLeaseAsync("placement", nodeId, options.Value.LeaderLease, stoppingToken).ConfigureAwait(false);
                if (leader != IsLeader)
                {
                    LogLeadership(nodeId, leader);
                }

                IsLeader = leader;
                if (leader)
                {
                    await PlanOnceAsync(stoppingToken).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogPlanFailed(ex);
            }

            try
            {
                await Task.Delay(MinRoundGap, time, stoppingToken).ConfigureAwait(false);
                await signal.WaitAsync(generation, options.Value.Interval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task PlanOnceAsync(CancellationToken ct)
    {
        var collections = await catalog.ListAsync(ct).ConfigureAwait(false);
        var nodeList = await nodes.ListNodesAsync(ct).ConfigureAwait(false);
        long readAt = time.GetTimestamp();
        var snapshot = await placement.GetPlacementAsync(ct).ConfigureAwait(false);
        var actions = _planner.Plan(collections, nodeList, snapshot, time.GetElapsedTime(_started));
        LogDiskChanges(_planner.Targets);
        LogBlockedChanges(_planner.Blocked, _planner.RebalanceBlocked);
        foreach (var action in actions)
        {
            switch (action)
            {
                case PlacementAction.Assign a:
                    await placement.AssignAsync(a.CollectionId, a.Shard, a.Node, ct).ConfigureAwait(false);
                    LogAction("assign", a.CollectionId, a.Shard, a.Node);
                    break;
                case PlacementAction.MarkDraining d:
                    await placement.MarkDrainingAsync(d.CollectionId, d.Shard, d.Node, ct).ConfigureAwait(false);
                    LogAction("drain", d.CollectionId, d.Shard, d.Node);
                    break;
                case PlacementAction.Unassign u:
                    await placement.UnassignAsync(u.CollectionId, u.Shard, u.Node, ct).ConfigureAwait(false);
                    LogAction("remove", u.CollectionId, u.Shard, u.Node);
                    break;
                case PlacementAction.ChangeMap m:
                    bool done = await shardMaps.ReplaceShardMapAsync(m.CollectionId, m.Expected, m.Next, ct).ConfigureAwait(false);
                    LogMapChange(m.CollectionId, m.Why, m.Next.Version, done);
                    break;
            }
        }

        if (time.GetElapsedTime(_lastCompaction) >= options.Value.CompactEvery)
        {
            _lastCompaction = time.GetTimestamp();
            await CompactAsync(collections, nodeList, snapshot.Assignments, readAt, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Compacts each shard's log up to the slot heads it had when a snapshot was taken, and only once every replica reported
    /// lag 0 after that snapshot: then each has applied everything up to it, so the floor is below the lowest seq applied
    /// by every replica (less <see cref="PlacementOptions.LogKeepPerSlot"/> kept as a margin). Compacting to the current
    /// heads instead would drop changes written after the replicas' last report, which a replica then has to rebuild over.
    /// </summary>
    /// <remarks>
    /// Reports carry no time, so "after the snapshot" is had from the placement having been read at least
    /// <see cref="PlacementOptions.ReportsWithin"/> after it: a live worker reports every replica's lag more often than
    /// that, from heads it re-read just before. A dead node's last report is not fresh, so its shards wait.
    /// </remarks>
    private async Task CompactAsync(IReadOnlyList<CollectionInfo> collections, IReadOnlyList<NodeInfo> nodeList, IReadOnlyList<ReplicaAssignment> assignments, long readAt, CancellationToken ct)
    {
        var live = nodeList.Where(n => n.Live).Select(n => n.NodeId).ToHashSet(StringComparer.Ordinal);
        var next = new Dictionary<(long, int), (SlotRange Range, long TakenAt, IReadOnlyDictionary<int, long> Heads)>();
        foreach (var collection in collections)
        {
            foreach (var shard in PlacementPlanner.Compactable(collection, assignments))
            {
                var key = (collection.Id, shard.Id);
                if (assignments.Any(a => a.CollectionId == collection.Id && a.Shard == shard.Id && !live.Contains(a.NodeId)))
                {
                    continue;
                }

                if (_heads.TryGetValue(key, out var taken) && taken.Range == shard.Range
                    && time.GetElapsedTime(taken.TakenAt, readAt) < options.Value.ReportsWithin)
                {
                    next[key] = taken; // Reports read so far may predate it: wait for newer ones.
                    continue;
                }

                if (taken.Heads is not null && taken.Range == shard.Range)
                {
                    int keep = options.Value.LogKeepPerSlot;
                    var floors = taken.Heads.ToDictionary(h => h.Key, h => h.Value - keep);
                    long deleted = await log.CompactAsync(collection.Id, floors, ct).ConfigureAwait(false);
                    if (deleted > 0)
                    {
                        LogCompacted(collection.Name, shard.Id, deleted);
                    }
                }

                // Timed after the read: a report counted as newer than the snapshot then surely saw these heads.
                var heads = await log.GetSlotHeadsAsync(collection.Id, shard.Range, ct).ConfigureAwait(false);
                next[key] = (shard.Range, time.GetTimestamp(), heads);
            }
        }

        _heads = next;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Compacted {Deleted} change(s) of {Collection}/{Shard}")]
    private partial void LogCompacted(string collection, int shard, long deleted);

    [LoggerMessage(Level = LogLevel.Information, Message = "Placement leadership of {Node}: {Leader}")]
    private partial void LogLeadership(string node, bool leader);

    [LoggerMessage(Level = LogLevel.Information, Message = "Placement: {Action} replica {Collection}/{Shard} on {Node}")]
    private partial void LogAction(string action, long collection, int shard, string node);

    [LoggerMessage(Level = LogLevel.Information, Message = "Shard map of collection {Collection}: {Why} (v{Version}, applied: {Done})")]
    private partial void LogMapChange(long collection, string why, long version, bool done);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Placement round failed; retrying")]
    private partial void LogPlanFailed(Exception ex);
}
