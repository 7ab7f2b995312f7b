using Mosaic.Core.Collections;
using Mosaic.Core.Placement;
using Mosaic.Core.Sharding;

namespace Mosaic.Worker.Placement;

/// <summary>Which shard replicas this node should hold, and where it reports their progress.</summary>
public interface IReplicaPlan
{
    /// <summary>The node id replicas are held for (appears in placement and in /cluster).</summary>
    string NodeId { get; }

    Task<IReadOnlyList<(CollectionInfo Collection, ShardInfo Shard)>> WantedAsync(IReadOnlyList<CollectionInfo> collections, CancellationToken ct);

    Task ReportAsync(CollectionInfo collection, int shard, ReplicaReport report, CancellationToken ct);
}
