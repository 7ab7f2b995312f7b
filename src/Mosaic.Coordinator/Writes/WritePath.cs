using Microsoft.Extensions.Options;
using Mosaic.Core.Collections;
using Mosaic.Core.Errors;
using Mosaic.Core.Seams;

namespace Mosaic.Coordinator.Writes;

/// <summary>The write side of the coordinator: validates, then commits documents and their change records in one store transaction.</summary>
/// <remarks>Never touches shards: workers learn of writes from the change log (CQRS).</remarks>
public sealed class WritePath(ICollectionCatalog catalog, IDocumentStore store, IOptions<CoordinatorOptions> options)
{
    private readonly CoordinatorOptions _options = options.Value;

    public async Task<CollectionInfo> ResolveAsync(string collection, CancellationToken ct) =>
        await catalog.GetAsync(collection, ct).ConfigureAwait(false)
        ?? throw MosaicException.NotFound($"collection '{collection}' does not exist");

    /// <summary>Validates every write first, so a rejected batch writes nothing; then commits the batch atomically.</summary>
    public async Task<(WriteResult? Result, string? StoredAnswer)> WriteAsync(
        CollectionInfo collection,
        IReadOnlyList<DocumentWrite> writes,
        string? idempotencyKey,
        Func<WriteResult, string?> renderAnswer,
        Func<int, string>? describePosition,
        CancellationToken ct)
    {
        for (int i = 0; i < writes.Count; i++)
        {
            string where = describePosition?.Invoke(i) ?? "";
            if (writes[i].Document is { } doc)
            {
                DocumentValidator.Validate(doc, collection.Spec, _options, where);
            }
            else
            {
                DocumentValidator.ValidateId(writes[i].Id, _options, where);
            }
        }

        if (idempotencyKey is { Length: > 256 })
        {
            throw MosaicException.Invalid("Idempotency-Key: must be at most 256 characters");
        }

        return await store.WriteAsync(collection, writes, idempotencyKey, renderAnswer, ct).ConfigureAwait(false);
    }
}
