using Mosaic.Core.Changes;
using Mosaic.Core.Slots;

namespace Mosaic.Store.Sqlite;

/// <summary>Bounded catch-up: new replicas read current rows instead of the whole history, and the log is compacted.</summary>
public sealed partial class SqliteStore
{
    public Task<IReadOnlyList<ChangeRecord>> ReadCurrentAsync(long collectionId, SlotRange range, string? afterId, int limit, CancellationToken ct)
    {
        using var connection = Open();
        using var command = Command(connection, """
            SELECT seq, doc_id, 0, text, vector, fields, seq, 1, slot FROM docs
            WHERE collection_id = $c AND doc_id > $after AND slot >= $lo AND slot < $hi
            ORDER BY doc_id LIMIT $limit
            """);
        command.Parameters.AddWithValue("$c", collectionId);
        command.Parameters.AddWithValue("$after", afterId ?? "");
        command.Parameters.AddWithValue("$lo", range.Start);
        command.Parameters.AddWithValue("$hi", range.End);
        command.Parameters.AddWithValue("$limit", limit);
        using var reader = command.ExecuteReader();
        var rows = new List<ChangeRecord>();
        while (reader.Read())
        {
            rows.Add(StoredRows.Change(reader, reader.GetInt32(8)));
        }

        return Task.FromResult<IReadOnlyList<ChangeRecord>>(rows);
    }

    public Task<IReadOnlyDictionary<int, long>> GetSlotFloorsAsync(long collectionId, SlotRange range, CancellationToken ct)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT slot, floor FROM slot_floors WHERE collection_id = $c AND slot >= $lo AND slot < $hi");
        command.Parameters.AddWithValue("$c", collectionId);
        command.Parameters.AddWithValue("$lo", range.Start);
        command.Parameters.AddWithValue("$hi", range.End);
        using var reader = command.ExecuteReader();
        var floors = new Dictionary<int, long>();
        while (reader.Read())
        {
            floors[reader.GetInt32(0)] = reader.GetInt64(1);
        }

        return Task.FromResult<IReadOnlyDictionary<int, long>>(floors);
    }

    public async Task<long> CompactAsync(long collectionId, SlotRange range, int keepPerSlot, CancellationToken ct)
    {
        long deleted = 0;
        await WriteAsync(
            (connection, transaction) =>
            {
                using (var floors = Command(connection, """
                    INSERT INTO slot_floors(collection_id, slot, floor)
                    SELECT collection_id, slot, seq - $keep FROM slot_seqs
                    WHERE collection_id = $c AND slot >= $lo AND slot < $hi AND seq - $keep > 0
                    ON CONFLICT(collection_id, slot) DO UPDATE SET floor = max(floor, excluded.floor)
                    """, transaction))
                {
                    Bind(floors);
                    floors.ExecuteNonQuery();
                }

                using var delete = Command(connection, """
                    DELETE FROM changes WHERE collection_id = $c AND slot >= $lo AND slot < $hi
                    AND seq <= (SELECT f.floor FROM slot_floors f WHERE f.collection_id = changes.collection_id AND f.slot = changes.slot)
                    """, transaction);
                Bind(delete);
                deleted = delete.ExecuteNonQuery();
                return false;
            },
            ct).ConfigureAwait(false);
        return deleted;

        void Bind(Microsoft.Data.Sqlite.SqliteCommand command)
        {
            command.Parameters.AddWithValue("$c", collectionId);
            command.Parameters.AddWithValue("$lo", range.Start);
            command.Parameters.AddWithValue("$hi", range.End);
            command.Parameters.AddWithValue("$keep", keepPerSlot);
        }
    }
}
