using Microsoft.Extensions.Options;
using Mosaic.Core.Collections;
using Mosaic.Core.Errors;
using Mosaic.Core.Seams;
using Mosaic.Coordinator.Reads;

namespace Mosaic.Coordinator.Writes;

/// <summary>The write side of the coordinator: validates, then commits documents and their change records in one store transaction.</summary>
/// <remarks>
/// Never touches shards: workers learn of writes from the change log (CQRS). In a collection with an embedding model,
/// documents without a vector get one from their text here, before the transaction: the vector is stored once, replicas
/// never embed, and an embedder failure writes nothing. Where this process also holds replicas of the collection, a
/// write first waits while they are far behind (<see cref="IIndexBacklog"/>), so acknowledged writes become searchable soon.
/// </remarks>
public sealed class WritePath(ICollectionCatalog catalog, IDocumentStore store, KnownSlotHeads heads, IOptions<CoordinatorOptions> options, IEmbedder? embedder = null, IIndexBacklog? backlog = null)
{
    private readonly CoordinatorOptions _options = options.Value;

    public async Task<CollectionInfo> ResolveAsync(string collection, CancellationToken ct) =>
        await catalog.GetAsync(collection, ct).ConfigureAwait(false)
        ?? throw MosaicException.NotFound($"collection '{collection}' does not exist");

    /// <summary>Validates every write first, so a rejected batch writes nothing; then commits the batch atomically.</summary>
    public async Task<(WriteResult? Result, string? StoredAnswer)> WriteAsync(
        CollectionInfo collection,
        IReadOnlyList<DocumentWrite> writes,
        IdempotentRequest? idempotency,
        Func<WriteResult, string?> renderAnswer,
        Func<int, string>? describePosition,
        CancellationToken ct)
    {
        for (int i = 0; i < writes.Count; i++)
        {
            try
            {
                if (writes[i].Document is { } doc)
                {
                    DocumentValidator.Validate(doc, collection.Spec, _options);
                }
                else
                {
                    DocumentValidator.ValidateId(writes[i].Id, _options);
                }
            }
            catch (MosaicException ex) when (describePosition is not null)
            {
                // Every message starts with the field; the position ("line 3: ") is built only for the bad write.
                throw new MosaicException(ex.Kind, ex.Code, describePosition(i) + ex.Detail);
            }
        }

        if (idempotency is { Key.Length: > 256 })
        {
            throw MosaicException.Invalid("Idempotency-Key: must be at most 256 characters");
        }

        string? fingerprint = idempotency?.Fingerprint(writes);
        var render = fingerprint is null ? renderAnswer : r => renderAnswer(r) is { } answer ? IdempotentRequest.Seal(fingerprint, answer) : null;

        if (collection.Spec.EmbedModel is { } model)
        {
            writes = await EmbedTextsAsync(model, writes, ct).ConfigureAwait(false);
        }

        if (backlog is not null)
        {
            await backlog.WaitForRoomAsync(collection.Id, ct).ConfigureAwait(false);
        }

        var written = await store.WriteAsync(collection, writes, idempotency?.Key, render, ct).ConfigureAwait(false);
        if (written.StoredAnswer is { } stored)
        {
            return (null, idempotency!.Open(stored, fingerprint!, collection.Spec.Name));
        }

        if (written.Result is { } result)
        {
            // The store has reached the seqs of the token it just issued: searches carrying it need no store read here.
            heads.Learn(collection.Id, result.Token.SlotSeqs);
        }

        return written;
    }

    /// <summary>The writes with a vector computed from the text of every document that came without one (one embed call).</summary>
    private async Task<IReadOnlyList<DocumentWrite>> EmbedTextsAsync(string model, IReadOnlyList<DocumentWrite> writes, CancellationToken ct)
    {
        var needing = Enumerable.Range(0, writes.Count).Where(i => writes[i].Document is { Vector: null }).ToList();
        if (needing.Count == 0)
        {
            return writes;
        }

        var embedded = await (embedder ?? throw new InvalidOperationException("a collection with an embedding model needs an IEmbedder"))
            .EmbedAsync(model, needing.Select(i => writes[i].Document!.Text!).ToList(), ct).ConfigureAwait(false);
        var result = writes.ToArray();
        for (int j = 0; j < needing.Count; j++)
        {
            var write = result[needing[j]];
            result[needing[j]] = write with { Document = write.Document! with { Vector = embedded.Vectors[j] } };
        }

        return result;
    }
}
