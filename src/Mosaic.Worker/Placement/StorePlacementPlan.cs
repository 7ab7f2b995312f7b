using Mosaic.Core.Collections;
using Mosaic.Core.Placement;
using Mosaic.Core.Seams;
using Mosaic.Core.Sharding;

namespace Mosaic.Worker.Placement;

/// <summary>The replicas that the placement leader assigned to this node in the store (embedded: the one node).</summary>
/// <remarks>Only shards the collection's map still holds count: a retired shard's replica goes even before placement
/// removes its row.</remarks>
public sealed class StorePlacementPlan(IPlacementStore placement, string nodeId) : IReplicaPlan
{
    public string NodeId { get; } = nodeId;

    public async Task<IReadOnlyList<(CollectionInfo Collection, ShardInfo Shard)>> WantedAsync(IReadOnlyList<CollectionInfo> collections, CancellationToken ct)
    {
        var snapshot = await placement.GetPlacementAsync(ct).ConfigureAwait(false);
        var byId = collections.ToDictionary(c => c.Id);
        var wanted = new List<(CollectionInfo, ShardInfo)>();
        foreach (var a in snapshot.Assignments)
        {
            if (a.NodeId == NodeId && byId.TryGetValue(a.CollectionId, out var collection) && collection.ShardMap.Find(a.Shard) is { IsHeld: true } shard)
            {
                wanted.Add((collection, shard));
            }
        }

        return wanted;
    }

    public Task ReportAsync(CollectionInfo collection, int shard, ReplicaReport report, CancellationToken ct) =>
        placement.ReportAsync(collection.Id, shard, NodeId, report, ct);
}
