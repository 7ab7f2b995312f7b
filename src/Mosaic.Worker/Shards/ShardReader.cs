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
    private readonly sqlite3_stmt _fetch, _fetchWithVector, _fetchRow, _fetchRowWithVector;
    private readonly StringBuilder _json = new();
    private readonly System.Buffers.ArrayBufferWriter<byte> _bind = new(256);
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
        // By row (the search's hint): a table look-up per id, no descent of the doc_id index (SQLite's page reads were most
        // of a fetch, and half of them the index's). j.key is the id's index in the request, to check the row still holds it.
        _fetchRow = Prepare("d.doc_id, d.fields, d.text, NULL, j.key", "json_each(?1) j CROSS JOIN docs d ON d.rowid = j.value");
        _fetchRowWithVector = Prepare("d.doc_id, d.fields, d.text, d.vector, j.key", "json_each(?1) j CROSS JOIN docs d ON d.rowid = j.value");
    }

    private sqlite3_stmt Prepare(string columns, string from = "json_each(?1) j CROSS JOIN docs d ON d.doc_id = j.value")
    {
        Check(raw.sqlite3_prepare_v2(_db, $"SELECT {columns} FROM {from}", out var statement), "preparing the payload fetch");
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
    /// <param name="rows">Each id's row as a search reported it (-1 unknown), or null: see <see cref="ShardFetchRequest.Rows"/>.</param>
    /// <param name="maxBytes">See <see cref="ShardFetchRequest.MaxBytes"/>.</param>
    /// <exception cref="PayloadBudgetExceededException">The payloads passed <paramref name="maxBytes"/>; no more rows were read.</exception>
    public List<DocPayload> Fetch(IReadOnlyList<string> ids, IReadOnlyList<long>? rows, bool text, bool fields, bool vector, long maxBytes = long.MaxValue)
    {
        var found = new Found(ids.Count, maxBytes);
        if (ids.Count == 0)
        {
            return found.Payloads;
        }

        if (rows is null || rows.Count != ids.Count)
        {
            FetchByIds(ids, text, fields, vector, ref found);
            return found.Payloads;
        }

        var statement = vector ? _fetchRowWithVector : _fetchRow;
        // Which ids a row answered for; the rest (unknown rows, rows that hold another document now: deleted and their
        // row id reused, or re-added under another row) are looked up by id.
        Span<bool> answered = ids.Count <= 256 ? stackalloc bool[ids.Count] : new bool[ids.Count];
        int missing = ids.Count;
        try
        {
            Check(raw.sqlite3_bind_text(statement, 1, RowArray(rows)), "binding the payload fetch");
            int rc;
            while ((rc = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
            {
                long i = raw.sqlite3_column_int64(statement, 4);
                if (i >= 0 && i < ids.Count && !answered[(int)i] && HoldsId(raw.sqlite3_column_blob(statement, 0), ids[(int)i]))
                {
                    answered[(int)i] = true;
                    missing--;
                    found.Add(Payload(statement, ids[(int)i], text, fields, vector));
                }
            }

            Check(rc, "fetching payloads");
        }
        finally
        {
            raw.sqlite3_reset(statement);
        }

        if (missing > 0)
        {
            var byId = new List<string>(missing);
            for (int i = 0; i < ids.Count; i++)
            {
                if (!answered[i])
                {
                    byId.Add(ids[i]);
                }
            }

            FetchByIds(byId, text, fields, vector, ref found);
        }

        return found.Payloads;
    }

    /// <inheritdoc cref="Fetch(IReadOnlyList{string}, IReadOnlyList{long}?, bool, bool, bool, long)"/>
    public List<DocPayload> Fetch(IReadOnlyList<string> ids, bool text, bool fields, bool vector) => Fetch(ids, null, text, fields, vector);

    private void FetchByIds(IReadOnlyList<string> ids, bool text, bool fields, bool vector, ref Found found)
    {
        var statement = vector ? _fetchWithVector : _fetch;
        try
        {
            Check(raw.sqlite3_bind_text(statement, 1, JsonArray(ids)), "binding the payload fetch");
            int rc;
            while ((rc = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
            {
                found.Add(Payload(statement, raw.sqlite3_column_text(statement, 0).utf8_to_string(), text, fields, vector));
            }

            Check(rc, "fetching payloads");
        }
        finally
        {
            // A statement left stepped holds its read snapshot open, which would keep the WAL from being checkpointed.
            raw.sqlite3_reset(statement);
        }
    }

    /// <summary>The payloads a fetch read so far and their weight, against its budget.</summary>
    /// <remarks>A struct passed by reference: a fetch is on every search's path.</remarks>
    private struct Found(int capacity, long maxBytes)
    {
        private long _bytes;

        public List<DocPayload> Payloads { get; } = new(capacity);

        public void Add(DocPayload payload)
        {
            Payloads.Add(payload);
            _bytes += payload.EstimatedBytes;
            if (_bytes > maxBytes)
            {
                // Thrown from inside the statement's loop: its finally resets the statement.
                throw new PayloadBudgetExceededException(_bytes, maxBytes);
            }
        }
    }

    /// <summary>Whether the stored doc_id (UTF-8) is <paramref name="id"/>, without making a string of it.</summary>
    private static bool HoldsId(ReadOnlySpan<byte> stored, string id)
    {
        const int StackBytes = 256;
        int most = Encoding.UTF8.GetMaxByteCount(id.Length);
        Span<byte> utf8 = most <= StackBytes ? stackalloc byte[StackBytes] : new byte[most];
        int length = Encoding.UTF8.GetBytes(id, utf8);
        return stored.SequenceEqual(utf8[..length]);
    }

    /// <summary>The payload of the row <paramref name="statement"/> is on (columns: doc_id, fields, text, vector).</summary>
    private static DocPayload Payload(sqlite3_stmt statement, string id, bool text, bool fields, bool vector) => new(
        id,
        text ? TextOrNull(statement, 2) : null,
        fields ? TextOrNull(statement, 1) : null,
        vector && raw.sqlite3_column_type(statement, 3) != raw.SQLITE_NULL ? VectorCodec.FromBytes(raw.sqlite3_column_blob(statement, 3)) : null);

    public void Dispose()
    {
        _vectors?.Dispose();
        _fetch.Dispose();
        _fetchWithVector.Dispose();
        _fetchRow.Dispose();
        _fetchRowWithVector.Dispose();
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

    /// <summary>The rows as a JSON array of integers (-1, unknown, matches no row), as UTF-8 in a buffer this reader reuses.</summary>
    /// <remarks>Bound as bytes: a string would be made and then converted to UTF-8 by the binding, two arrays per fetch.</remarks>
    private ReadOnlySpan<byte> RowArray(IReadOnlyList<long> rows)
    {
        _bind.ResetWrittenCount();
        for (int i = 0; i < rows.Count; i++)
        {
            var span = _bind.GetSpan(21);
            span[0] = i == 0 ? (byte)'[' : (byte)',';
            System.Buffers.Text.Utf8Formatter.TryFormat(rows[i], span[1..], out int written);
            _bind.Advance(1 + written);
        }

        _bind.GetSpan(1)[0] = (byte)']';
        _bind.Advance(1);
        return _bind.WrittenSpan;
    }}
