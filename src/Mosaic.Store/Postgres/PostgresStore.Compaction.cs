using Mosaic.Core.Changes;
using Mosaic.Core.Slots;

namespace Mosaic.Store.Postgres;

/// <summary>Bounded catch-up: new replicas read current rows instead of the whole history, and the log is compacted.</summary>
public sealed partial class PostgresStore
{
    public Task<IReadOnlyList<ChangeRecord>> ReadCurrentAsync(long collectionId, SlotRange range, string? afterId, int limit, CancellationToken ct) => RunAsync<IReadOnlyList<ChangeRecord>>(
        async connection =>
        {
            await using var command = Command("""
                SELECT seq, doc_id, 0, text, vector, fields, seq, true, slot FROM docs
                WHERE collection_id = @c AND doc_id > @after AND slot >= @lo AND slot < @hi
                ORDER BY doc_id LIMIT @limit
                """, connection, null, ("c", collectionId), ("after", afterId ?? ""), ("lo", range.Start), ("hi", range.End), ("limit", limit));
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var rows = new List<ChangeRecord>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                rows.Add(StoredRows.Change(reader, reader.GetInt32(8)));
            }

            return rows;
        },
        retry: true,
        ct);

    public Task<IReadOnlyDictionary<int, long>> GetSlotFloorsAsync(long collectionId, SlotRange range, CancellationToken ct) => RunAsync<IReadOnlyDictionary<int, long>>(
        async connection =>
        {
            await using var command = Command(
                "SELECT slot, floor FROM slot_floors WHERE collection_id = @c AND slot >= @lo AND slot < @hi",
                connection, null, ("c", collectionId), ("lo", range.Start), ("hi", range.End));
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var floors = new Dictionary<int, long>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                floors[reader.GetInt32(0)] = reader.GetInt64(1);
            }

            return floors;
        },
        retry: true,
        ct);

    public Task<long> CompactAsync(long collectionId, IReadOnlyDictionary<int, long> floors, CancellationToken ct) => RunAsync(
        async connection =>
        {
            // Floors first, then the delete up to them, in one transaction: a tailer that finds a gap reads the floor and
            // knows the changes are gone rather than not yet committed.
            await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
            var given = floors.Where(f => f.Value > 0).ToList();
            (string, object?)[] p = [("c", collectionId), ("slots", given.Select(f => f.Key).ToArray()), ("floors", given.Select(f => f.Value).ToArray())];
            await using (var raise = Command("""
                INSERT INTO slot_floors(collection_id, slot, floor)
                SELECT @c, t.slot, t.floor FROM unnest(@slots, @floors) AS t(slot, floor)
                ON CONFLICT (collection_id, slot) DO UPDATE SET floor = greatest(slot_floors.floor, excluded.floor)
                """, connection, transaction, p))
            {
                await raise.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            long deleted;
            await using (var delete = Command("""
                DELETE FROM changes c USING slot_floors f
                WHERE c.collection_id = @c AND c.slot = ANY(@slots)
                AND f.collection_id = c.collection_id AND f.slot = c.slot AND c.seq <= f.floor
                """, connection, transaction, p))
            {
                deleted = await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return deleted;
        },
        retry: true,
        ct);
}
