using Mosaic.Core.Collections;
using Mosaic.Core.Placement;

namespace Mosaic.Worker.Placement;

/// <summary>Which shard replicas this node should hold, and where it reports their progress.</summary>
/// <remarks>Embedded: every shard of every collection. Cluster: the store's placement rows for this node.</remarks>
public interface IReplicaPlan
{
    /// <summary>The node id replicas are held for (appears in placement and in /cluster).</summary>
    string NodeId { get; }

    Task<IReadOnlyList<(CollectionInfo Collection, int Shard)>> WantedAsync(IReadOnlyList<CollectionInfo> collections, CancellationToken ct);

    Task ReportAsync(CollectionInfo collection, int shard, ReplicaState state, long lag, CancellationToken ct);
}
