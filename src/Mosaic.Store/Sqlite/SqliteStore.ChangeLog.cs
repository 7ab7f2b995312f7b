using Microsoft.Data.Sqlite;
using Mosaic.Core.Changes;
using Mosaic.Core.Slots;

namespace Mosaic.Store.Sqlite;

public sealed partial class SqliteStore
{
    public Task<IReadOnlyDictionary<int, long>> GetSlotHeadsAsync(long collectionId, SlotRange range, CancellationToken ct)
    {
        using var connection = Open();
        return Task.FromResult<IReadOnlyDictionary<int, long>>(ReadHeads(connection, null, collectionId, range));
    }

    public Task<IReadOnlyList<ChangeRecord>> ReadAsync(long collectionId, int slot, long afterSeq, int limit, CancellationToken ct)
    {
        using var connection = Open();
        // The document is joined in its current state: applying a newer state early is harmless because the later
        // change of the same document re-applies it, and it saves the log from holding every body twice. Joined in this
        // slot only: with a routing key, a document deleted here may live on in another slot, and this change is a delete.
        using var command = Command(connection, """
            SELECT c.seq, c.doc_id, c.op, d.text, d.vector, d.fields, d.seq, d.doc_id IS NOT NULL
            FROM changes c LEFT JOIN docs d ON d.collection_id = c.collection_id AND d.doc_id = c.doc_id AND d.slot = c.slot
            WHERE c.collection_id = $c AND c.slot = $s AND c.seq > $after
            ORDER BY c.seq LIMIT $limit
            """);
        command.Parameters.AddWithValue("$c", collectionId);
        command.Parameters.AddWithValue("$s", slot);
        command.Parameters.AddWithValue("$after", afterSeq);
        command.Parameters.AddWithValue("$limit", limit);
        using var reader = command.ExecuteReader();
        var list = new List<ChangeRecord>();
        while (reader.Read())
        {
            list.Add(StoredRows.Change(reader, slot));
        }

        return Task.FromResult<IReadOnlyList<ChangeRecord>>(list);
    }

    /// <summary>Heads of just these slots: point reads for a few (a single PUT touches one), a range read for many.</summary>
    private static Dictionary<int, long> ReadHeads(SqliteConnection connection, SqliteTransaction? transaction, long collectionId, IReadOnlySet<int> slots)
    {
        if (slots.Count > 32)
        {
            return ReadHeads(connection, transaction, collectionId, new SlotRange(0, SlotHasher.SlotCount));
        }

        using var command = Command(connection, "SELECT seq FROM slot_seqs WHERE collection_id = $c AND slot = $s", transaction);
        command.Parameters.AddWithValue("$c", collectionId);
        var slot = command.Parameters.Add("$s", SqliteType.Integer);
        var heads = new Dictionary<int, long>(slots.Count);
        foreach (int s in slots)
        {
            slot.Value = s;
            if (command.ExecuteScalar() is long seq)
            {
                heads[s] = seq;
            }
        }

        return heads;
    }

    private static Dictionary<int, long> ReadHeads(SqliteConnection connection, SqliteTransaction? transaction, long collectionId, SlotRange range)
    {
        using var command = Command(connection, "SELECT slot, seq FROM slot_seqs WHERE collection_id = $c AND slot >= $lo AND slot < $hi", transaction);
        command.Parameters.AddWithValue("$c", collectionId);
        command.Parameters.AddWithValue("$lo", range.Start);
        command.Parameters.AddWithValue("$hi", range.End);
        using var reader = command.ExecuteReader();
        var heads = new Dictionary<int, long>();
        while (reader.Read())
        {
            heads[reader.GetInt32(0)] = reader.GetInt64(1);
        }

        return heads;
    }
}
