using Mosaic.Core.Placement;

namespace Mosaic.Core.Seams;

/// <summary>Where shard replicas are placed, in the store. Every change bumps the snapshot version.</summary>
public interface IPlacementStore
{
    Task<PlacementSnapshot> GetPlacementAsync(CancellationToken ct);

    /// <summary>The current version only (cheap: coordinators poll it to know when to reload).</summary>
    Task<long> GetPlacementVersionAsync(CancellationToken ct);

    /// <summary>Places a new replica in state Building; no-op if that replica is already placed.</summary>
    Task AssignAsync(long collectionId, int shard, string nodeId, CancellationToken ct);

    /// <summary>Removes a replica from placement.</summary>
    Task UnassignAsync(long collectionId, int shard, string nodeId, CancellationToken ct);

    /// <summary>A worker reports its replica's state and lag; bumps the version only when the state changes.</summary>
    Task ReportAsync(long collectionId, int shard, string nodeId, ReplicaState state, long lag, CancellationToken ct);
}
