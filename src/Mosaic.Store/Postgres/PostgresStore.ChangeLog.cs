using Mosaic.Core.Changes;
using Mosaic.Core.Slots;

namespace Mosaic.Store.Postgres;

public sealed partial class PostgresStore
{
    public Task<IReadOnlyDictionary<int, long>> GetSlotHeadsAsync(long collectionId, SlotRange range, CancellationToken ct) => RunAsync<IReadOnlyDictionary<int, long>>(
        async connection =>
        {
            // seq 0: a slot whose only writes so far were deletes of absent ids (bumped, then corrected); it has no change.
            await using var command = Command(
                "SELECT slot, seq FROM slot_seqs WHERE collection_id = @c AND slot >= @lo AND slot < @hi AND seq > 0",
                connection, null, ("c", collectionId), ("lo", range.Start), ("hi", range.End));
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var heads = new Dictionary<int, long>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                heads[reader.GetInt32(0)] = reader.GetInt64(1);
            }

            return heads;
        },
        retry: true,
        ct);

    public Task<IReadOnlyList<ChangeRecord>> ReadAsync(long collectionId, int slot, long afterSeq, int limit, CancellationToken ct) => RunAsync<IReadOnlyList<ChangeRecord>>(
        async connection =>
        {
            // The document is joined in its current state, as in the embedded store: applying a newer state early is
            // harmless because the later change of the same document re-applies it, and the log need not hold every body
            // twice. Only committed changes are visible, and a slot's changes commit in seq order (see WriteOnceAsync), so
            // a reader never sees n+1 without n. Joined in this slot only: with a routing key, a document deleted here
            // may live on in another slot, and this slot's change is then a delete.
            await using var command = Command("""
                SELECT c.seq, c.doc_id, c.op, d.text, d.vector, d.fields, d.seq, d.doc_id IS NOT NULL
                FROM changes c LEFT JOIN docs d ON d.collection_id = c.collection_id AND d.doc_id = c.doc_id AND d.slot = c.slot
                WHERE c.collection_id = @c AND c.slot = @s AND c.seq > @after
                ORDER BY c.seq LIMIT @limit
                """, connection, null, ("c", collectionId), ("s", slot), ("after", afterSeq), ("limit", limit));
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var list = new List<ChangeRecord>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                list.Add(StoredRows.Change(reader, slot));
            }

            return list;
        },
        retry: true,
        ct);
}
