using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mosaic.Core.Changes;
using Mosaic.Core.Seams;

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
        var snapshot = await placement.GetPlacementAsync(ct).ConfigureAwait(false);
        var actions = _planner.Plan(collections, nodeList, snapshot, time.GetElapsedTime(_started));
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
            foreach (var collection in collections)
            {
                foreach (var shard in PlacementPlanner.Compactable(collection, snapshot.Assignments))
                {
                    long deleted = await log.CompactAsync(collection.Id, shard.Range, options.Value.LogKeepPerSlot, ct).ConfigureAwait(false);
                    if (deleted > 0)
                    {
                        LogCompacted(collection.Name, shard.Id, deleted);
                    }
                }
            }
        }
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
