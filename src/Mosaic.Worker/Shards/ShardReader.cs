using System.Text;
using Microsoft.Data.Sqlite;
using Mosaic.Core.Documents;
using Mosaic.Core.Search;
using SQLitePCL;

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
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _fetch, _fetchWithVector;
    private readonly StringBuilder _json = new();
    private ShardVectorSource? _vectors;

    public ShardReader(SqliteConnection connection)
    {
        _connection = connection;
        _db = connection.Handle ?? throw new InvalidOperationException("the shard file connection is not open");
        // One statement for all the ids, passed as one JSON array: cheaper than a statement per id, and than `IN ($1, ...)`
        // with a parameter per id (bench/README.md, "Shard file: text column"). CROSS JOIN keeps the ids as the outer loop,
        // so each is one look-up in the doc_id index. The vector (the row's last column, so a large one sits in overflow
        // pages) is selected only when asked for: SQLite reads every selected column of a row it steps to.
        _fetch = Prepare("d.doc_id, d.fields, d.text");
        _fetchWithVector = Prepare("d.doc_id, d.fields, d.text, d.vector");
    }

    private sqlite3_stmt Prepare(string columns)
    {
        Check(raw.sqlite3_prepare_v2(_db, $"SELECT {columns} FROM json_each(?1) j CROSS JOIN docs d ON d.doc_id = j.value", out var statement), "preparing the payload fetch");
        return statement;
    }

    /// <summary>The float vectors of this file by rowid, for rescoring a quantized graph's candidates (prepared on first use).</summary>
    public ShardVectorSource Vectors => _vectors ??= new ShardVectorSource(_db);

    /// <summary>Payloads of the ids this file holds, in one statement; absent ids (deleted since the search) are left out.</summary>
    /// <remarks>
    /// Driven through SQLite's own API, as <see cref="ShardVectorSource"/>: through ADO.NET, the command's reader, its
    /// statement enumerator and parameter binder cost more per fetch of ten rows than SQLite's look-ups (perf of an
    /// embedded vector search at 100k: 3.3 % of its CPU in ExecuteReader and NextResult, the look-ups 1.5 %).
    /// </remarks>
    public List<DocPayload> Fetch(IReadOnlyList<string> ids, bool text, bool fields, bool vector)
    {
        var found = new List<DocPayload>(ids.Count);
        if (ids.Count == 0)
        {
            return found;
        }

        var statement = vector ? _fetchWithVector : _fetch;
        try
        {
            Check(raw.sqlite3_bind_text(statement, 1, JsonArray(ids)), "binding the payload fetch");
            int rc;
            while ((rc = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
            {
                found.Add(new DocPayload(
                    raw.sqlite3_column_text(statement, 0).utf8_to_string(),
                    text ? TextOrNull(statement, 2) : null,
                    fields ? TextOrNull(statement, 1) : null,
                    vector && raw.sqlite3_column_type(statement, 3) != raw.SQLITE_NULL ? VectorCodec.FromBytes(raw.sqlite3_column_blob(statement, 3)) : null));
            }

            Check(rc, "fetching payloads");
        }
        finally
        {
            // A statement left stepped holds its read snapshot open, which would keep the WAL from being checkpointed.
            raw.sqlite3_reset(statement);
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

    private static string? TextOrNull(sqlite3_stmt statement, int column) =>
        raw.sqlite3_column_type(statement, column) == raw.SQLITE_NULL ? null : raw.sqlite3_column_text(statement, column).utf8_to_string();

    private void Check(int rc, string what) => SqliteResult.Check(_db, rc, what);

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
