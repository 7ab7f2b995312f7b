using Mosaic.Core.Collections;
using Mosaic.Core.Consistency;
using Mosaic.Core.Documents;

namespace Mosaic.Core.Seams;

/// <summary>One write of a batch: an upsert when <see cref="Document"/> is set, else a delete of <see cref="Id"/>.</summary>
public sealed record DocumentWrite(string Id, Document? Document);

/// <summary>What a committed write batch did.</summary>
/// <param name="Written">Writes that changed the store (deletes of absent ids are not counted).</param>
/// <param name="Missing">Ids a delete found absent; nothing was logged for them.</param>
public sealed record WriteResult(int Written, ConsistencyToken Token, IReadOnlyList<string> Missing);

/// <summary>The write side of the store: documents plus their change log, written in one transaction.</summary>
/// <remarks>
/// Every write appends a change with the next gapless sequence number of its slot inside the same transaction as the
/// document row; once <see cref="WriteAsync"/> returns, the batch is durable and the token covers all of it.
/// </remarks>
public interface IDocumentStore
{
    /// <param name="idempotencyKey">When set and seen before for this collection, nothing is written and the stored answer comes back.</param>
    /// <param name="renderAnswer">Renders the client answer to keep under the idempotency key, in the same transaction; null keeps nothing (a failed write).</param>
    Task<(WriteResult? Result, string? StoredAnswer)> WriteAsync(
        CollectionInfo collection,
        IReadOnlyList<DocumentWrite> writes,
        string? idempotencyKey,
        Func<WriteResult, string?>? renderAnswer,
        CancellationToken ct);

    Task<Document?> GetAsync(CollectionInfo collection, string id, CancellationToken ct);

    Task<long> CountAsync(CollectionInfo collection, CancellationToken ct);
}
