using Mosaic.Core.Collections;
using Mosaic.Core.Placement;
using Mosaic.Core.Seams;

namespace Mosaic.Worker.Placement;

/// <summary>The cluster plan: the replicas that the placement leader assigned to this node in the store.</summary>
public sealed class StorePlacementPlan(IPlacementStore placement, string nodeId) : IReplicaPlan
{
    public string NodeId { get; } = nodeId;

    public async Task<IReadOnlyList<(CollectionInfo Collection, int Shard)>> WantedAsync(IReadOnlyList<CollectionInfo> collections, CancellationToken ct)
    {
        var snapshot = await placement.GetPlacementAsync(ct).ConfigureAwait(false);
        var byId = collections.ToDictionary(c => c.Id);
        return snapshot.Assignments
            .Where(a => a.NodeId == NodeId && byId.ContainsKey(a.CollectionId))
            .Select(a => (byId[a.CollectionId], a.Shard))
            .ToList();
    }

    public Task ReportAsync(CollectionInfo collection, int shard, ReplicaState state, long lag, CancellationToken ct) =>
        placement.ReportAsync(collection.Id, shard, NodeId, state, lag, ct);
}
