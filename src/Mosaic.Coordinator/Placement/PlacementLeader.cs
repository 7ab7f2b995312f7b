using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mosaic.Core.Changes;
using Mosaic.Core.Placement;
using Mosaic.Core.Seams;

namespace Mosaic.Coordinator.Placement;

/// <summary>Runs in every coordinator; the one holding the "placement" lease assigns shard replicas to live workers.</summary>
/// <remarks>
/// Each round: drop replicas of nodes whose lease expired, then give every shard R replicas on distinct live workers,
/// choosing the workers that hold the fewest replicas. A new replica builds from the store's log and is routed to only
/// once its worker reports it serving, so re-creating a lost replica never serves a half-built shard.
/// </remarks>
public sealed partial class PlacementLeader(
    ICollectionCatalog catalog,
    INodeRegistry nodes,
    IPlacementStore placement,
    ChangeSignal signal,
    IOptions<PlacementOptions> options,
    TimeProvider time,
    ILogger<PlacementLeader> logger,
    string nodeId) : BackgroundService
{
    private readonly ILogger<PlacementLeader> _logger = logger;

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
        var workers = nodeList.Where(n => n.Live && IsWorker(n)).Select(n => n.NodeId).ToHashSet();
        var existing = collections.Select(c => c.Id).ToHashSet();
        var assignments = snapshot.Assignments.ToList();

        foreach (var a in assignments.Where(a => !workers.Contains(a.NodeId) || !existing.Contains(a.CollectionId)).ToList())
        {
            await placement.UnassignAsync(a.CollectionId, a.Shard, a.NodeId, ct).ConfigureAwait(false);
            assignments.Remove(a);
            LogMoved(a.CollectionId, a.Shard, a.NodeId);
        }

        var load = workers.ToDictionary(w => w, w => assignments.Count(a => a.NodeId == w));
        foreach (var collection in collections)
        {
            int wanted = Math.Min(collection.Spec.Replicas, workers.Count);
            for (int shard = 0; shard < collection.ShardMap.ShardCount; shard++)
            {
                var holders = assignments.Where(a => a.CollectionId == collection.Id && a.Shard == shard).Select(a => a.NodeId).ToHashSet();
                while (holders.Count < wanted)
                {
                    string target = load.Where(w => !holders.Contains(w.Key)).OrderBy(w => w.Value).ThenBy(w => w.Key, StringComparer.Ordinal).First().Key;
                    await placement.AssignAsync(collection.Id, shard, target, ct).ConfigureAwait(false);
                    assignments.Add(new ReplicaAssignment(collection.Id, shard, target, ReplicaState.Building, 0));
                    holders.Add(target);
                    load[target]++;
                }
            }
        }
    }

    private static bool IsWorker(NodeInfo node) => node.Role.Contains("worker", StringComparison.Ordinal) || node.Role.Contains("serve", StringComparison.Ordinal);

    [LoggerMessage(Level = LogLevel.Information, Message = "Placement leadership of {Node}: {Leader}")]
    private partial void LogLeadership(string node, bool leader);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replica {Collection}/{Shard} on {Node} unassigned (node gone or collection dropped)")]
    private partial void LogMoved(long collection, int shard, string node);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Placement round failed; retrying")]
    private partial void LogPlanFailed(Exception ex);
}
