using Mosaic.Core.Collections;

namespace Mosaic.Core.Seams;

/// <summary>The store's list of collections (system of record).</summary>
public interface ICollectionCatalog
{
    /// <summary>Creates the collection; returns the existing one with Created=false when settings are identical.</summary>
    /// <exception cref="Errors.MosaicException">Conflict when a collection of that name exists with other settings.</exception>
    Task<(CollectionInfo Info, bool Created)> CreateAsync(CollectionSpec spec, CancellationToken ct);

    Task<CollectionInfo?> GetAsync(string name, CancellationToken ct);

    Task<IReadOnlyList<CollectionInfo>> ListAsync(CancellationToken ct);

    /// <summary>Sets a live collection's replica count R, the one setting that may change after creation. It is stored with a
    /// bump of the routing version (what every coordinator's catalog cache watches), so routers reload and the placement
    /// leader adds or removes replicas; the same R again changes nothing and bumps nothing.</summary>
    /// <returns>The collection with its new settings, or null when it does not exist.</returns>
    Task<CollectionInfo?> SetReplicasAsync(string name, int replicas, CancellationToken ct);

    /// <summary>Drops the collection with its documents and change log; false when it did not exist.</summary>
    Task<bool> DeleteAsync(string name, CancellationToken ct);
}
