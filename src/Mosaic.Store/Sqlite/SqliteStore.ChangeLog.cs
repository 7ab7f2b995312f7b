using Microsoft.Data.Sqlite;
using Mosaic.Core.Changes;
using Mosaic.Core.Slots;

namespace Mosaic.Store.Sqlite;

public sealed partial class SqliteStore
{
    public Task<IReadOnlyList<ChangeRecord>> ReadAsync(long collectionId, int slot, long afterSeq, int limit, CancellationToken ct) =>
        Task.FromResult(WithReader(reader => reader.Read(collectionId, slot, afterSeq, limit)));

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
