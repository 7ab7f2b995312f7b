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

    /// <summary>Drops the collection with its documents and change log; false when it did not exist.</summary>
    Task<bool> DeleteAsync(string name, CancellationToken ct);
}
