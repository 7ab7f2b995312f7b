using Mosaic.Contracts;
using Mosaic.Core.Placement;
using Mosaic.Core.Seams;

namespace Mosaic.Hosting.Cluster;

/// <summary>Cluster: nodes, placement and lag as the store knows them now.</summary>
/// <remarks>Read fresh, not from the router's cache: that cache reloads only when the placement version moves, and lag
/// reports deliberately do not move it.</remarks>
internal sealed class StoreClusterStatus(ICollectionCatalog catalog, IPlacementStore placementStore, INodeRegistry registry) : IClusterStatus
{
    public async Task<(bool Ready, string Reason)> ReadyAsync(CancellationToken ct)
    {
        var collections = await catalog.ListAsync(ct).ConfigureAwait(false);
        var placement = await placementStore.GetPlacementAsync(ct).ConfigureAwait(false);
        var nodes = await registry.ListNodesAsync(ct).ConfigureAwait(false);
        var live = nodes.Where(n => n.Live).Select(n => n.NodeId).ToHashSet();
        var missing = collections
            .SelectMany(c => Enumerable.Range(0, c.ShardMap.ShardCount).Select(s => (c, s)))
            .Where(x => !placement.Assignments.Any(a => a.CollectionId == x.c.Id && a.Shard == x.s && a.State == ReplicaState.Serving && live.Contains(a.NodeId)))
            .ToList();
        return missing.Count == 0
            ? (true, "ok")
            : (false, $"{missing.Count} shard(s) have no serving replica: " + string.Join(", ", missing.Take(5).Select(m => $"{m.c.Name}/{m.s}")));
    }

    public async Task<ClusterResponse> DescribeAsync(string selfAddress, CancellationToken ct)
    {
        var collections = await catalog.ListAsync(ct).ConfigureAwait(false);
        var placement = await placementStore.GetPlacementAsync(ct).ConfigureAwait(false);
        var nodes = await registry.ListNodesAsync(ct).ConfigureAwait(false);
        var nodeViews = nodes.OrderBy(n => n.Role, StringComparer.Ordinal).ThenBy(n => n.NodeId, StringComparer.Ordinal).Select(n => new NodeResponse(
            n.NodeId, n.Role, n.Address, n.Live ? "alive" : "expired", n.LeaseExpiresAt, placement.Assignments.Count(a => a.NodeId == n.NodeId))).ToList();
        var views = collections.Select(c => new ClusterCollectionResponse(
            c.Name,
            c.ShardMap.Version,
            Enumerable.Range(0, c.ShardMap.ShardCount).Select(s => new ClusterShardResponse(
                s,
                c.ShardMap.RangeOf(s).ToString(),
                placement.Assignments.Where(a => a.CollectionId == c.Id && a.Shard == s)
                    .Select(a => new ReplicaResponse(a.NodeId, a.State.ToString().ToLowerInvariant(), a.Lag, null)).ToList())).ToList())).ToList();
        return new ClusterResponse(nodeViews, views, placement.Version);
    }
}
