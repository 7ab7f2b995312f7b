using Mosaic.Core.Placement;

namespace Mosaic.Core.Seams;

/// <summary>Where shard replicas are placed, in the store. Every change that routes differently bumps the snapshot version.</summary>
public interface IPlacementStore
{
    Task<PlacementSnapshot> GetPlacementAsync(CancellationToken ct);

    /// <summary>The current version only (cheap: coordinators poll it to know when to reload).</summary>
    Task<long> GetPlacementVersionAsync(CancellationToken ct);

    /// <summary>Places a new replica in state Building; no-op if that replica is already placed.</summary>
    Task AssignAsync(long collectionId, int shard, string nodeId, CancellationToken ct);

    /// <summary>Removes a replica from placement.</summary>
    Task UnassignAsync(long collectionId, int shard, string nodeId, CancellationToken ct);

    /// <summary>Marks a replica draining: routers stop sending it new queries, its worker keeps it until it is unassigned.</summary>
    Task MarkDrainingAsync(long collectionId, int shard, string nodeId, CancellationToken ct);

    /// <summary>A worker reports its replica; bumps the version only when the state changes. A draining replica stays draining.</summary>
    Task ReportAsync(long collectionId, int shard, string nodeId, ReplicaReport report, CancellationToken ct);
}
