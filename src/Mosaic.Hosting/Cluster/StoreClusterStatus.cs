using Microsoft.Extensions.Options;
using Mosaic.Contracts;
using Mosaic.Coordinator.Placement;
using Mosaic.Core.Placement;
using Mosaic.Core.Seams;
using Mosaic.Core.Sharding;

namespace Mosaic.Hosting.Cluster;

/// <summary>Nodes, shard maps, placement and lag as the store knows them now (embedded: the one-node cluster).</summary>
/// <remarks>Read fresh, not from the router's cache: that cache reloads only when the routing version moves, and lag
/// reports deliberately do not move it.</remarks>
internal sealed class StoreClusterStatus(ICollectionCatalog catalog, IPlacementStore placementStore, INodeRegistry registry, IOptions<PlacementOptions> options) : IClusterStatus
{
    public async Task<(bool Ready, string Reason)> ReadyAsync(CancellationToken ct)
    {
        var collections = await catalog.ListAsync(ct).ConfigureAwait(false);
        var placement = await placementStore.GetPlacementAsync(ct).ConfigureAwait(false);
        var nodes = await registry.ListNodesAsync(ct).ConfigureAwait(false);
        var live = nodes.Where(n => n.Live).Select(n => n.NodeId).ToHashSet();
        var serving = placement.Assignments.Where(a => a.State == ReplicaState.Serving && live.Contains(a.NodeId)).Select(a => (a.CollectionId, a.Shard)).ToHashSet();
        var missing = collections
            .SelectMany(c => c.ShardMap.Serving.Select(s => (c, s)))
            .Where(x => !serving.Contains((x.c.Id, x.s.Id)))
            .ToList();
        return missing.Count == 0
            ? (true, "ok")
            : (false, $"{missing.Count} shard(s) have no serving replica: " + string.Join(", ", missing.Take(5).Select(m => $"{m.c.Name}/{m.s.Id}")));
    }

    public async Task<ClusterResponse> DescribeAsync(string selfAddress, CancellationToken ct)
    {
        var collections = await catalog.ListAsync(ct).ConfigureAwait(false);
        var placement = await placementStore.GetPlacementAsync(ct).ConfigureAwait(false);
        var nodes = await registry.ListNodesAsync(ct).ConfigureAwait(false);
        var planner = new PlacementPlanner(options.Value);
        var targets = PlacementTargets.Of(nodes);
        // A round of the leader's planner on the same state says which shards have no place and why; its actions are
        // the leader's to take, not ours.
        planner.Plan(collections, nodes, placement, TimeSpan.Zero);
        var blocked = planner.Blocked.ToDictionary(b => (b.CollectionId, b.Shard), b => b.Reason);
        var weights = planner.Weights(placement.Assignments, targets.Eligible);
        var nodeViews = nodes.OrderBy(n => n.Role).ThenBy(n => n.NodeId, StringComparer.Ordinal).Select(n => new NodeResponse(
            n.NodeId,
            n.Role.Name(),
            n.Address,
            !n.Live ? "dead" : n.Drained ? "draining" : "alive",
            n.LeaseExpiresAt,
            placement.Assignments.Count(a => a.NodeId == n.NodeId),
            placement.Assignments.Where(a => a.NodeId == n.NodeId).Sum(a => a.Bytes),
            weights.GetValueOrDefault(n.NodeId),
            n.Disk?.FreeBytes,
            n.Disk?.TotalBytes,
            n.Disk?.FloorBytes,
            n.DiskLow,
            n.Drained ? Drain(DrainProgress.Of(n.NodeId, placement.Assignments, planner.Blocked)) : null)).ToList();
        var views = collections.Select(c => new ClusterCollectionResponse(
            c.Name,
            c.ShardMap.Version,
            c.ShardMap.All.Where(s => s.State != ShardState.Retired).OrderBy(s => s.Range.Start).ThenBy(s => s.Id).Select(s => new ClusterShardResponse(
                s.Id,
                s.Range.ToString(),
                s.State.ToString().ToLowerInvariant(),
                placement.Assignments.Where(a => a.CollectionId == c.Id && a.Shard == s.Id)
                    .Select(a => new ReplicaResponse(a.NodeId, a.State.ToString().ToLowerInvariant(), a.Lag, a.Docs, a.Bytes, Math.Round(a.Qps, 2))).ToList(),
                s.Parent,
                blocked.GetValueOrDefault((c.Id, s.Id)))).ToList())).ToList();
        return new ClusterResponse(nodeViews, views, placement.Version, Math.Round(PlacementPlanner.Imbalance(weights, targets.Targets), 3), RebalanceBlocked: planner.RebalanceBlocked);
    }

    private static DrainStatusResponse Drain(DrainProgress progress) => new(progress.State, progress.ReplicasLeft, progress.Reason);
}
