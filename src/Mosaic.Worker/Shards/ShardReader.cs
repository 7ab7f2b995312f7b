using System.Text;
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
    private readonly SqliteCommand _fetch, _fetchWithVector;
    private readonly StringBuilder _json = new();
    private ShardVectorSource? _vectors;

    public ShardReader(SqliteConnection connection)
    {
        _connection = connection;
        // One statement for all the ids, passed as one JSON array: cheaper than a statement per id, and than `IN ($1, ...)`
        // with a parameter per id (bench/README.md, "Shard file: text column"). CROSS JOIN keeps the ids as the outer loop,
        // so each is one look-up in the doc_id index. The vector (the row's last column, so a large one sits in overflow
        // pages) is selected only when asked for: SQLite reads every selected column of a row it steps to.
        _fetch = Prepare(connection, "d.doc_id, d.fields, d.text");
        _fetchWithVector = Prepare(connection, "d.doc_id, d.fields, d.text, d.vector");
    }

    private static SqliteCommand Prepare(SqliteConnection connection, string columns)
    {
        var command = connection.CreateCommand();
        command.CommandText = $"SELECT {columns} FROM json_each($ids) j CROSS JOIN docs d ON d.doc_id = j.value";
        command.Parameters.Add("$ids", SqliteType.Text);
        command.Prepare();
        return command;
    }

    /// <summary>The float vectors of this file by rowid, for rescoring a quantized graph's candidates (prepared on first use).</summary>
    public ShardVectorSource Vectors => _vectors ??= new ShardVectorSource(_connection);

    /// <summary>Payloads of the ids this file holds, in one statement; absent ids (deleted since the search) are left out.</summary>
    public List<DocPayload> Fetch(IReadOnlyList<string> ids, bool text, bool fields, bool vector)
    {
        var found = new List<DocPayload>(ids.Count);
        if (ids.Count == 0)
        {
            return found;
        }

        var command = vector ? _fetchWithVector : _fetch;
        command.Parameters[0].Value = JsonArray(ids);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            found.Add(new DocPayload(
                reader.GetString(0),
                text && !reader.IsDBNull(2) ? reader.GetString(2) : null,
                fields && !reader.IsDBNull(1) ? reader.GetString(1) : null,
                vector && !reader.IsDBNull(3) ? VectorCodec.FromBytes((byte[])reader.GetValue(3)) : null));
        }

        return found;
    }

    public void Dispose()
    {
        _vectors?.Dispose();
        _fetch.Dispose();
        _fetchWithVector.Dispose();
        _connection.Dispose();
    }

    /// <summary>The ids as a JSON array of strings: only <c>"</c>, <c>\</c> and control characters need escaping.</summary>
    private string JsonArray(IReadOnlyList<string> ids)
    {
        var json = _json.Clear().Append('[');
        foreach (string id in ids)
        {
            json.Append(json.Length > 1 ? ",\"" : "\"");
            foreach (char c in id)
            {
                _ = c switch
                {
                    '"' or '\\' => json.Append('\\').Append(c),
                    < ' ' => json.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture)),
                    _ => json.Append(c),
                };
            }

            json.Append('"');
        }

        return json.Append(']').ToString();
    }
}
