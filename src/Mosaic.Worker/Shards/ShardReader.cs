using Microsoft.Data.Sqlite;
using Mosaic.Core.Documents;
using Mosaic.Core.Search;

namespace Mosaic.Worker.Shards;

/// <summary>An open read connection to a shard file with its statements prepared once, lent out by <see cref="ShardFile"/>.</summary>
/// <remarks>
/// Opening a pooled connection re-runs its PRAGMAs and a new command re-prepares its SQL on every use; for a payload fetch
/// of ten rows that set-up cost more than the rows (bench/README.md, "What is slow"). A reader keeps both, and is used by
/// one caller at a time.
/// </remarks>
internal sealed class ShardReader : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _withText;
    private readonly SqliteParameter _withTextId;
    private readonly SqliteCommand _withoutText;
    private readonly SqliteParameter _withoutTextId;

    public ShardReader(SqliteConnection connection)
    {
        _connection = connection;
        (_withText, _withTextId) = Prepare("SELECT d.fields, d.vector, f.text FROM docs d LEFT JOIN fts f ON f.rowid = d.rowid WHERE d.doc_id = $id");
        (_withoutText, _withoutTextId) = Prepare("SELECT d.fields, d.vector, NULL FROM docs d WHERE d.doc_id = $id");
    }

    public SqliteConnection Connection => _connection;

    /// <summary>Payloads of the ids this file holds, in the order asked; absent ids are skipped.</summary>
    public List<DocPayload> Fetch(IReadOnlyList<string> ids, bool text, bool fields, bool vector)
    {
        var (command, id) = text ? (_withText, _withTextId) : (_withoutText, _withoutTextId);
        var found = new List<DocPayload>(ids.Count);
        foreach (string docId in ids)
        {
            id.Value = docId;
            using var reader = command.ExecuteReader();
            if (!reader.Read())
            {
                continue;
            }

            found.Add(new DocPayload(
                docId,
                text && !reader.IsDBNull(2) ? reader.GetString(2) : null,
                fields && !reader.IsDBNull(0) ? reader.GetString(0) : null,
                vector && !reader.IsDBNull(1) ? VectorCodec.FromBytes((byte[])reader.GetValue(1)) : null));
        }

        return found;
    }

    public void Dispose()
    {
        _withText.Dispose();
        _withoutText.Dispose();
        _connection.Dispose();
    }

    private (SqliteCommand Command, SqliteParameter Id) Prepare(string sql)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        var id = command.Parameters.Add("$id", SqliteType.Text);
        command.Prepare();
        return (command, id);
    }
}
