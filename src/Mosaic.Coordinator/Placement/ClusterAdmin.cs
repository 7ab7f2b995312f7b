using Mosaic.Core.Errors;
using Mosaic.Core.Placement;
using Mosaic.Core.Seams;

namespace Mosaic.Coordinator.Placement;

/// <summary>The operator's levers: split a shard, drain or undrain a node. Any coordinator may pull them; the placement
/// leader carries them out.</summary>
public sealed class ClusterAdmin(ICollectionCatalog catalog, IShardMapStore shardMaps, INodeRegistry nodes, IShardRouter router)
{
    /// <summary>Starts splitting a serving shard: two children for the halves of its range build while it serves.</summary>
    /// <returns>The parent id and the children's ids.</returns>
    public async Task<(int Parent, IReadOnlyList<int> Children)> SplitAsync(string collection, int shard, CancellationToken ct)
    {
        for (int attempt = 0; attempt < 5; attempt++)
        {
            var info = await catalog.GetAsync(collection, ct).ConfigureAwait(false)
                ?? throw MosaicException.NotFound($"collection '{collection}' does not exist");
            var next = info.ShardMap.BeginSplit(shard);
            if (await shardMaps.ReplaceShardMapAsync(info.Id, info.ShardMap, next, ct).ConfigureAwait(false))
            {
                await router.RefreshAsync(ct).ConfigureAwait(false);
                return (shard, next.ChildrenOf(shard).Select(c => c.Id).ToList());
            }
        }

        throw new MosaicException(ErrorKind.Conflict, "conflict", $"the shard map of '{collection}' kept changing; retry");
    }

    /// <summary>Drains (every replica moves off, the node gets none) or undrains a shard-holding node.</summary>
    public async Task SetDrainedAsync(string node, bool drained, CancellationToken ct)
    {
        var known = (await nodes.ListNodesAsync(ct).ConfigureAwait(false)).FirstOrDefault(n => n.NodeId == node)
            ?? throw MosaicException.NotFound($"node '{node}' is not registered");
        if (!known.Role.HoldsShards())
        {
            throw MosaicException.Invalid($"node '{node}' is a {known.Role.Name()}: it holds no shards to drain");
        }

        if (!await nodes.SetDrainedAsync(node, drained, ct).ConfigureAwait(false))
        {
            throw MosaicException.NotFound($"node '{node}' is not registered");
        }
    }
}
