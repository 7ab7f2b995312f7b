using Mosaic.Core.Sharding;

namespace Mosaic.Core.Seams;

/// <summary>Changes a collection's stored shard map (splits and their switch), atomically and versioned.</summary>
public interface IShardMapStore
{
    /// <summary>
    /// Replaces the map in one transaction when the stored one is still <paramref name="expected"/> (compare-and-set on
    /// the version), bumping the routing version so every router reloads; false when another change came first or the
    /// collection is gone.
    /// </summary>
    Task<bool> ReplaceShardMapAsync(long collectionId, ShardMap expected, ShardMap next, CancellationToken ct);
}
