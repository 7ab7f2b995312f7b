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

    public async Task<long> CompactAsync(long collectionId, IReadOnlyDictionary<int, long> floors, CancellationToken ct)
    {
        long deleted = 0;
        await WriteAsync(
            (connection, transaction) =>
            {
                // Floors first, then the delete up to them, in one transaction: a tailer that finds a gap reads the floor
                // and knows the changes are gone rather than not yet committed.
                using var raise = Command(connection, """
                    INSERT INTO slot_floors(collection_id, slot, floor) VALUES ($c, $s, $f)
                    ON CONFLICT(collection_id, slot) DO UPDATE SET floor = max(floor, excluded.floor)
                    """, transaction);
                using var delete = Command(connection, """
                    DELETE FROM changes WHERE collection_id = $c AND slot = $s
                    AND seq <= (SELECT f.floor FROM slot_floors f WHERE f.collection_id = $c AND f.slot = $s)
                    """, transaction);
                raise.Parameters.AddWithValue("$c", collectionId);
                var slot = raise.Parameters.AddWithValue("$s", 0);
                var floor = raise.Parameters.AddWithValue("$f", 0L);
                delete.Parameters.AddWithValue("$c", collectionId);
                var deleteSlot = delete.Parameters.AddWithValue("$s", 0);
                foreach (var (s, f) in floors.Where(x => x.Value > 0))
                {
                    slot.Value = s;
                    floor.Value = f;
                    raise.ExecuteNonQuery();
                    deleteSlot.Value = s;
                    deleted += delete.ExecuteNonQuery();
                }

                return false;
            },
            ct).ConfigureAwait(false);
        return deleted;
    }
}
