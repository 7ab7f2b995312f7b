using Microsoft.Data.Sqlite;
using Mosaic.Core.Changes;

namespace Mosaic.Store.Sqlite;

/// <summary>A store connection with the reads that run per write prepared once (Microsoft.Data.Sqlite keeps a command's
/// statement across executions): the change log of one slot (replicas tail slot by slot) and the routing version (it
/// validates the cached catalog). Used by one caller at a time.</summary>
/// <remarks>Opening a pooled connection re-runs its two PRAGMAs and a new command re-parses its SQL, which cost more than
/// these one-row reads.</remarks>
internal sealed class StoreReader : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _read;
    private readonly SqliteParameter _collection;
    private readonly SqliteParameter _slot;
    private readonly SqliteParameter _after;
    private readonly SqliteParameter _limit;
    private readonly SqliteCommand _version;

    public StoreReader(SqliteConnection connection)
    {
        _connection = connection;
        _version = connection.CreateCommand();
        _version.CommandText = "SELECT version FROM placement_version WHERE id = 1";
        _read = connection.CreateCommand();
        // The document is joined in its current state: applying a newer state early is harmless because the later
        // change of the same document re-applies it, and it saves the log from holding every body twice. Joined in this
        // slot only: with a routing key, a document deleted here may live on in another slot, and this change is a delete.
        _read.CommandText = """
            SELECT c.seq, c.doc_id, c.op, d.text, d.vector, d.fields, d.seq, d.doc_id IS NOT NULL
            FROM changes c LEFT JOIN docs d ON d.collection_id = c.collection_id AND d.doc_id = c.doc_id AND d.slot = c.slot
            WHERE c.collection_id = $c AND c.slot = $s AND c.seq > $after
            ORDER BY c.seq LIMIT $limit
            """;
        _collection = _read.Parameters.Add("$c", SqliteType.Integer);
        _slot = _read.Parameters.Add("$s", SqliteType.Integer);
        _after = _read.Parameters.Add("$after", SqliteType.Integer);
        _limit = _read.Parameters.Add("$limit", SqliteType.Integer);
    }

    /// <summary>Changes of one slot with seq &gt; <paramref name="afterSeq"/>, in seq order, at most <paramref name="limit"/>.</summary>
    public IReadOnlyList<ChangeRecord> Read(long collectionId, int slot, long afterSeq, int limit)
    {
        (_collection.Value, _slot.Value, _after.Value, _limit.Value) = (collectionId, slot, afterSeq, limit);
        using var reader = _read.ExecuteReader();
        var list = new List<ChangeRecord>();
        while (reader.Read())
        {
            list.Add(StoredRows.Change(reader, slot));
        }

        return list;
    }

    /// <summary>The routing version, bumped in the same transaction as every catalog, shard map or placement change.</summary>
    public long RoutingVersion() => (long)_version.ExecuteScalar()!;

    public void Dispose()
    {
        _version.Dispose();
        _read.Dispose();
        _connection.Dispose();
    }
}
