using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;

// The shard file's payload fetch, SQL alternatives side by side (issue #8), on Microsoft.Data.Sqlite as the worker uses it:
//   bench/shard-fetch [ROWS] [ROUNDS]
// Builds three copies of one shard's rows (50k by default; 128-d float vectors, bench/embedded-like fields and 4-10 words
// of text): the previous layout (text in an FTS5 table), the text in a docs column, and the text in a rowid-keyed table.
// Then times fetches of k random ids (k = 5, 10, 100) through each statement shape, variants interleaved, best of ROUNDS
// passes of 2000 fetches. Every fetch reads the text, the fields and the vector of each row.
int rows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 50_000;
int rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 7;
string dir = Path.Combine(Path.GetTempPath(), $"mosaic-shard-fetch-{Environment.ProcessId}");
Directory.CreateDirectory(dir);
try
{
    using var fts = Build(Path.Combine(dir, "fts.db"), Layout.Fts);
    using var column = Build(Path.Combine(dir, "column.db"), Layout.Column);
    using var table = Build(Path.Combine(dir, "table.db"), Layout.Table);
    var variants = new (string Name, Fetcher Fetch)[]
    {
        ("one statement per id, FTS5 join (before)", PerId(fts, "SELECT d.fields, f.text, d.vector FROM docs d LEFT JOIN fts f ON f.rowid = d.rowid WHERE d.doc_id = $p0")),
        ("one statement per id, text column", PerId(column, "SELECT fields, text, vector FROM docs WHERE doc_id = $p0")),
        ("IN ($1..$n), one statement per n", In(column, "doc_id", pad: false)),
        ("IN ($1..$n), n padded to a power of 2", In(column, "doc_id", pad: true)),
        ("json_each($ids), text column (kept)", Json(column, "SELECT d.fields, d.text, d.vector FROM json_each($p0) j CROSS JOIN docs d ON d.doc_id = j.value")),
        ("json_each($ids), rowid-keyed text table", Json(table, "SELECT d.fields, t.text, d.vector FROM json_each($p0) j CROSS JOIN docs d ON d.doc_id = j.value LEFT JOIN texts t ON t.rowid = d.rowid")),
        ("rowid IN (...), padded (needs row ids)", In(column, "rowid", pad: true)),
    };
    var random = new Random(7);
    foreach (int k in new[] { 5, 10, 100 })
    {
        var sets = Enumerable.Range(0, 2000).Select(_ => Enumerable.Range(0, k).Select(_ => random.Next(rows)).Distinct().ToArray()).ToArray();
        var best = Enumerable.Repeat(double.MaxValue, variants.Length).ToArray();
        for (int round = 0; round < rounds; round++)
        {
            for (int v = 0; v < variants.Length; v++)
            {
                long started = Stopwatch.GetTimestamp();
                foreach (var set in sets)
                {
                    variants[v].Fetch(set);
                }

                best[v] = Math.Min(best[v], Stopwatch.GetElapsedTime(started).TotalMicroseconds / sets.Length);
            }
        }

        for (int v = 0; v < variants.Length; v++)
        {
            Console.WriteLine($"k={k,-3} {variants[v].Name,-42} {best[v],8:F1} µs per fetch {best[v] / k,6:F2} µs per row");
        }
    }
}
finally
{
    SqliteConnection.ClearAllPools();
    Directory.Delete(dir, recursive: true);
}

return 0;

SqliteConnection Build(string path, Layout layout)
{
    var connection = new SqliteConnection($"Data Source={path}");
    connection.Open();
    Execute(connection, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
    Execute(connection, layout switch
    {
        Layout.Fts => "CREATE TABLE docs (rowid INTEGER PRIMARY KEY, doc_id TEXT NOT NULL UNIQUE, slot INTEGER NOT NULL, seq INTEGER NOT NULL, vector BLOB, fields TEXT); "
            + "CREATE VIRTUAL TABLE fts USING fts5(text, tokenize = 'unicode61 remove_diacritics 2');",
        Layout.Column => "CREATE TABLE docs (rowid INTEGER PRIMARY KEY, doc_id TEXT NOT NULL UNIQUE, slot INTEGER NOT NULL, seq INTEGER NOT NULL, fields TEXT, text TEXT, vector BLOB);",
        _ => "CREATE TABLE docs (rowid INTEGER PRIMARY KEY, doc_id TEXT NOT NULL UNIQUE, slot INTEGER NOT NULL, seq INTEGER NOT NULL, fields TEXT, vector BLOB); "
            + "CREATE TABLE texts (rowid INTEGER PRIMARY KEY, text TEXT NOT NULL);",
    });
    var random = new Random(42);
    long started = Stopwatch.GetTimestamp();
    using (var transaction = connection.BeginTransaction())
    {
        using var insert = connection.CreateCommand();
        insert.CommandText = layout == Layout.Column
            ? "INSERT INTO docs (doc_id, slot, seq, fields, text, vector) VALUES ($id, $slot, $seq, $fields, $text, $vector) RETURNING rowid"
            : "INSERT INTO docs (doc_id, slot, seq, fields, vector) VALUES ($id, $slot, $seq, $fields, $vector) RETURNING rowid";
        // The previous layout and the separate table write the text with a second statement, as the worker did.
        using var text = connection.CreateCommand();
        text.CommandText = layout == Layout.Fts ? "INSERT INTO fts (rowid, text) VALUES ($row, $text)" : "INSERT INTO texts (rowid, text) VALUES ($row, $text)";
        var vector = new byte[128 * sizeof(float)];
        for (int i = 0; i < rows; i++)
        {
            random.NextBytes(vector);
            insert.Parameters.Clear();
            insert.Parameters.AddWithValue("$id", Id(i));
            insert.Parameters.AddWithValue("$slot", random.Next(1024));
            insert.Parameters.AddWithValue("$seq", i + 1);
            insert.Parameters.AddWithValue("$fields", $"{{\"category\":\"cat-{random.Next(20):D2}\",\"price\":{random.Next(1, 1000)}.5}}");
            insert.Parameters.AddWithValue("$vector", vector);
            string words = string.Join(' ', Enumerable.Range(0, random.Next(4, 11)).Select(_ => $"w{random.Next(4000):x}"));
            if (layout == Layout.Column)
            {
                insert.Parameters.AddWithValue("$text", words);
                insert.ExecuteScalar();
                continue;
            }

            long row = (long)insert.ExecuteScalar()!;
            text.Parameters.Clear();
            text.Parameters.AddWithValue("$row", row);
            text.Parameters.AddWithValue("$text", words);
            text.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    double perRow = Stopwatch.GetElapsedTime(started).TotalMicroseconds / rows;
    Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE);");
    Console.WriteLine($"{layout,-6}: {rows} rows written in one transaction, {perRow:F1} µs per row; file {new FileInfo(path).Length / 1048576.0:F1} MiB");
    return connection;
}

static string Id(int i) => $"doc-{i:D7}";

static void Execute(SqliteConnection connection, string sql)
{
    using var command = connection.CreateCommand();
    command.CommandText = sql;
    command.ExecuteNonQuery();
}

static SqliteCommand Prepare(SqliteConnection connection, string sql, int parameters, SqliteType type)
{
    var command = connection.CreateCommand();
    command.CommandText = sql;
    for (int i = 0; i < parameters; i++)
    {
        command.Parameters.Add($"$p{i}", type);
    }

    command.Prepare();
    return command;
}

// Reads what a payload needs: fields and text as strings, the vector as bytes.
static int Consume(SqliteCommand command)
{
    int found = 0;
    using var reader = command.ExecuteReader();
    while (reader.Read())
    {
        found += (reader.IsDBNull(0) ? 0 : reader.GetString(0).Length) + (reader.IsDBNull(1) ? 0 : reader.GetString(1).Length)
            + (reader.IsDBNull(2) ? 0 : ((byte[])reader.GetValue(2)).Length);
    }

    return found;
}

static Fetcher PerId(SqliteConnection connection, string sql)
{
    var command = Prepare(connection, sql, 1, SqliteType.Text);
    return ids =>
    {
        foreach (int id in ids)
        {
            command.Parameters[0].Value = Id(id);
            Consume(command);
        }
    };
}

static Fetcher In(SqliteConnection connection, string key, bool pad)
{
    var prepared = new Dictionary<int, SqliteCommand>();
    return ids =>
    {
        int n = pad ? (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)ids.Length) : ids.Length;
        if (!prepared.TryGetValue(n, out var command))
        {
            string list = string.Join(", ", Enumerable.Range(0, n).Select(i => $"$p{i}"));
            prepared[n] = command = Prepare(connection, $"SELECT fields, text, vector FROM docs WHERE {key} IN ({list})", n, key == "rowid" ? SqliteType.Integer : SqliteType.Text);
        }

        for (int i = 0; i < n; i++)
        {
            // Padding repeats the last id: IN matches each row once.
            int id = ids[Math.Min(i, ids.Length - 1)];
            command.Parameters[i].Value = key == "rowid" ? id + 1 : Id(id);
        }

        Consume(command);
    };
}

static Fetcher Json(SqliteConnection connection, string sql)
{
    var command = Prepare(connection, sql, 1, SqliteType.Text);
    var json = new StringBuilder();
    return ids =>
    {
        json.Clear().Append('[');
        foreach (int id in ids)
        {
            json.Append(json.Length > 1 ? ",\"" : "\"").Append(Id(id)).Append('"');
        }

        command.Parameters[0].Value = json.Append(']').ToString();
        Consume(command);
    };
}

internal delegate void Fetcher(int[] ids);

internal enum Layout
{
    Fts,
    Column,
    Table,
}
