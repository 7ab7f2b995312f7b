using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary>
/// Shard files written by the previous layout (text in an FTS5 table <c>fts</c>, no text column) are migrated when a
/// replica opens them: the test writes through HTTP, stops the server, turns each shard file back into the old layout
/// with plain SQLite, and restarts. Every search then answers exactly as before (ids, scores, text, fields, vectors),
/// the keyword index rebuilds from the migrated text, updates and deletes apply, the fts table is gone, and the next
/// start migrates nothing.
/// </summary>
public sealed partial class ShardFileMigrationTests(ITestOutputHelper output) : IDisposable
{
    private const int Count = 60;
    private readonly TempDirectory _dir = new("mosaic-shard-migration");

    [Fact]
    public async Task OldLayoutShardFiles_AreMigratedOnOpen_AndAnswerAsBefore()
    {
        var dataDir = _dir.Combine("data");
        // Doc 5 has no text and doc 6 an empty one: neither has text in a payload, before or after.
        string? TextOf(int i) => i == 5 ? null : i == 6 ? "" : $"alpha word{i % 7} doc{i}";
        var searches = new List<JsonObject>
        {
            Search("keyword", query: "alpha"),
            Search("keyword", query: "word3 doc10"),
            Search("vector", vector: [1, 0.5f, 0]),
            Search("hybrid", query: "word2", vector: [0, 1, 0.2f]),
        };

        var before = new List<string>();
        await using (var writer = await StartAsync(dataDir, "write"))
        {
            using var http = new MosaicHttp(writer.BaseUrl);
            await http.CreateCollectionAsync("mig", new JsonObject { ["dimension"] = 3, ["metric"] = "l2", ["shards"] = 2, ["fields"] = new JsonObject { ["category"] = "keyword" } });
            await http.BulkOkAsync("mig", Enumerable.Range(0, Count).Select(i => Line(
                Doc(TextOf(i), [i % 5, i % 3, i * 0.1f], new JsonObject { ["category"] = $"c{i % 3}", ["i"] = i }, $"d{i}"))));
            await WaitAppliedAsync(http, Count);
            foreach (var search in searches)
            {
                before.Add(Hits(await http.SearchAsync("mig", search)));
            }

            writer.Kill();
        }

        Assert.Contains("\"text\":\"alpha word3 doc10\"", before[1], StringComparison.Ordinal);
        var files = Directory.GetFiles(dataDir, "shard_*.db", SearchOption.AllDirectories);
        Assert.Equal(2, files.Length);
        foreach (var file in files)
        {
            ToOldLayout(file);
            // Without a keyword snapshot the index is rebuilt from every text of the file: the migrated column.
            File.Delete(Path.ChangeExtension(file, ".kw"));
        }

        await using (var migrated = await StartAsync(dataDir, "migrate"))
        {
            using var http = new MosaicHttp(migrated.BaseUrl);
            await WaitReadyAsync(http);
            var lines = MigratedLine().Matches(migrated.LogText());
            Assert.Equal(2, lines.Count);
            Assert.Equal(Count, lines.Sum(m => int.Parse(m.Groups["rows"].Value, System.Globalization.CultureInfo.InvariantCulture)));
            var built = KeywordBuiltLine().Matches(migrated.LogText());
            Assert.Equal(Count - 2, built.Sum(m => int.Parse(m.Groups["texts"].Value, System.Globalization.CultureInfo.InvariantCulture)));
            foreach (var file in files)
            {
                Assert.Equal((false, true), Layout(file));
            }

            for (int s = 0; s < searches.Count; s++)
            {
                Assert.Equal(before[s], Hits(await http.SearchAsync("mig", searches[s])));
            }

            // Writes after the migration: an update moves d1's text and fields, a delete removes d2.
            var (_, token) = await http.BulkOkAsync("mig", [Line(Doc("omega changed", [9, 9, 9], new JsonObject { ["category"] = "c9" }, "d1")), DeleteLine("d2")]);
            var omega = await http.SearchAsync("mig", Search("keyword", query: "omega", after: token));
            Assert.Equal(["d1"], MosaicHttp.HitIds(omega));
            Assert.Equal("omega changed", omega["hits"]![0]!["text"]!.GetValue<string>());
            Assert.Equal("c9", omega["hits"]![0]!["fields"]!["category"]!.GetValue<string>());
            var alpha = MosaicHttp.HitIds(await http.SearchAsync("mig", Search("keyword", query: "alpha", after: token)));
            Assert.Equal(Count - 4, alpha.Count);
            Assert.DoesNotContain("d1", alpha);
            Assert.DoesNotContain("d2", alpha);
            Assert.Equal(Count - 1, await http.DocCountAsync("mig"));
            migrated.Kill();
        }

        // A second start finds nothing to migrate and still holds the changes made after the migration.
        await using var again = await StartAsync(dataDir, "again");
        using var http2 = new MosaicHttp(again.BaseUrl);
        await WaitReadyAsync(http2);
        Assert.Empty(MigratedLine().Matches(again.LogText()));
        var after = await http2.SearchAsync("mig", Search("keyword", query: "omega"));
        Assert.Equal(["d1"], MosaicHttp.HitIds(after));
        Assert.Equal("omega changed", after["hits"]![0]!["text"]!.GetValue<string>());
        Assert.Equal(Count - 1, await http2.DocCountAsync("mig"));
    }

    [Fact]
    public async Task KilledMidMigration_LeavesTheOldLayout_AndTheNextOpenMigratesAgain()
    {
        var dataDir = _dir.Combine("data");
        // 40 MB of text (each a 20k-letter run, one cut token for the keyword index), so that the migration's copy spills
        // to the WAL for long enough to be killed in the middle of it.
        const int docs = 2_000;
        string TextOf(int i) => $"w{i} " + new string((char)('a' + (i % 26)), 20_000);
        await using (var writer = await StartAsync(dataDir, "write"))
        {
            using var http = new MosaicHttp(writer.BaseUrl, TimeSpan.FromMinutes(2));
            await http.CreateCollectionAsync("mig", new JsonObject { ["dimension"] = 0, ["shards"] = 1 });
            foreach (var chunk in Enumerable.Range(0, docs).Chunk(200))
            {
                await http.BulkOkAsync("mig", chunk.Select(i => Line(Doc(TextOf(i), id: $"d{i}"))));
            }

            await WaitAppliedAsync(http, docs, shards: 1);
            writer.Kill();
        }

        var file = Directory.GetFiles(dataDir, "shard_*.db", SearchOption.AllDirectories).Single();
        ToOldLayout(file);
        File.Delete(Path.ChangeExtension(file, ".kw"));
        // A fast box can finish the copy before the kill lands; each try starts again from this copy of the old layout.
        var saved = _dir.Combine("saved");
        CopyDirectory(dataDir, saved);
        var wal = new FileInfo(file + "-wal");
        for (int attempt = 1; ; attempt++)
        {
            // Not StartServeAsync: it returns once /health answers, and the migration may be over by then.
            await using var killed = MosaicProcess.Start(["serve", "--port", FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture), "--data", dataDir], _dir.Combine($"killed{attempt}.log"));
            // The migration is the first write of the open; the whole copy is ~80 MB of WAL. Killed at a few MB: mid-transaction.
            // Watched from its own thread, not by async polling: a busy thread pool could miss the whole copy.
            long threshold = (8L << 20) >> (attempt - 1);
            await Task.Factory.StartNew(
                () =>
                {
                    var stopwatch = System.Diagnostics.Stopwatch.StartNew();
                    while (stopwatch.Elapsed < TimeSpan.FromSeconds(60) && !killed.HasExited)
                    {
                        wal.Refresh();
                        if (wal.Exists && wal.Length >= threshold)
                        {
                            break;
                        }

                        Thread.Sleep(1);
                    }

                    killed.Kill();
                },
                TaskCreationOptions.LongRunning);
            if (MigratedLine().Matches(killed.LogText()).Count == 0)
            {
                Assert.True(wal.Exists, $"the server was killed before its migration wrote anything: {killed.LogTail()}");
                break;
            }

            output.WriteLine($"try {attempt}: the migration finished before the kill at {threshold} bytes of WAL; again from the saved copy");
            Assert.True(attempt < 4, "the migration finished before the kill in every try");
            Directory.Delete(dataDir, recursive: true);
            CopyDirectory(saved, dataDir);
        }

        Assert.Equal((true, false), Layout(file));
        await using var again = await StartAsync(dataDir, "again");
        using var http2 = new MosaicHttp(again.BaseUrl);
        await WaitReadyAsync(http2);
        var migrated = MigratedLine().Match(again.LogText());
        output.WriteLine(migrated.Value);
        Assert.Equal(docs, int.Parse(migrated.Groups["rows"].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal((false, true), Layout(file));
        Assert.Equal(docs, await http2.DocCountAsync("mig"));
        foreach (int i in new[] { 0, 17, docs - 1 })
        {
            var answer = await http2.SearchAsync("mig", new JsonObject { ["mode"] = "keyword", ["query"] = $"w{i}" });
            Assert.Equal([$"d{i}"], MosaicHttp.HitIds(answer));
            Assert.Equal(TextOf(i), answer["hits"]![0]!["text"]!.GetValue<string>());
        }
    }

    public void Dispose() => _dir.Dispose();

    private static JsonObject Search(string mode, string? query = null, float[]? vector = null, string? after = null)
    {
        var search = new JsonObject { ["mode"] = mode, ["top_k"] = 100, ["include"] = Array("text", "fields", "vector") };
        if (query is not null)
        {
            search["query"] = query;
        }

        if (vector is not null)
        {
            search["vector"] = Vector(vector);
        }

        if (after is not null)
        {
            search["consistency"] = new JsonObject { ["after"] = after };
        }

        return search;
    }

    private static string Hits(JsonObject answer)
    {
        Assert.False(answer["partial"]!.GetValue<bool>(), answer.ToJsonString());
        return answer["hits"]!.ToJsonString();
    }

    /// <summary>The previous version's layout: text in an FTS5 table keyed by row id, none in <c>docs</c>.</summary>
    private static void ToOldLayout(string file)
    {
        using var connection = Open(file, SqliteOpenMode.ReadWrite);
        using var command = connection.CreateCommand();
        command.CommandText = """
            BEGIN;
            CREATE VIRTUAL TABLE fts USING fts5(text, tokenize = 'unicode61 remove_diacritics 2');
            INSERT INTO fts(rowid, text) SELECT rowid, text FROM docs WHERE text IS NOT NULL AND text <> '';
            CREATE TABLE docs_old (rowid INTEGER PRIMARY KEY, doc_id TEXT NOT NULL UNIQUE, slot INTEGER NOT NULL, seq INTEGER NOT NULL, vector BLOB, fields TEXT);
            INSERT INTO docs_old (rowid, doc_id, slot, seq, vector, fields) SELECT rowid, doc_id, slot, seq, vector, fields FROM docs;
            DROP TABLE docs;
            ALTER TABLE docs_old RENAME TO docs;
            COMMIT;
            """;
        command.ExecuteNonQuery();
        Assert.Equal((true, false), Layout(file));
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var source in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, source));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(source, target);
        }
    }

    /// <summary>(has an fts table, has a docs.text column).</summary>
    private static (bool Fts, bool TextColumn) Layout(string file)
    {
        using var connection = Open(file, SqliteOpenMode.ReadOnly);
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT (SELECT count(*) FROM sqlite_master WHERE name = 'fts'),
                   (SELECT count(*) FROM pragma_table_info('docs') WHERE name = 'text')
            """;
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0) > 0, reader.GetInt64(1) > 0);
    }

    private static SqliteConnection Open(string file, SqliteOpenMode mode)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Mode = mode, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static async Task WaitAppliedAsync(MosaicHttp http, int count, int shards = 2) => await Wait.WaitUntilAsync(
        async () => (await http.GetAsync("collections/mig")).Object["shard_stats"] is JsonArray stats && stats.Count == shards
            && stats.All(s => s!["lag"]!.GetValue<long>() == 0) && stats.Sum(s => s!["doc_count"]!.GetValue<long>()) == count,
        TimeSpan.FromSeconds(60),
        $"the shards hold all {count} documents");

    private static async Task WaitReadyAsync(MosaicHttp http) =>
        await Wait.WaitUntilAsync(async () => (await http.GetAsync("ready")).StatusCode == 200, TimeSpan.FromSeconds(60), "GET /ready == 200");

    private async Task<MosaicProcess> StartAsync(string dataDir, string name)
    {
        var process = await MosaicProcess.StartServeAsync(dataDir, _dir.Combine($"{name}.log"));
        output.WriteLine($"started {name}: pid {process.Id} at {process.BaseUrl}, log {process.LogPath}");
        return process;
    }

    [GeneratedRegex(@"Shard mig/\d+: shard file migrated from its FTS5 table to a text column, (?<rows>\d+) rows, \d+ ms")]
    private static partial Regex MigratedLine();

    [GeneratedRegex(@"Shard mig/\d+ opened: .*keyword index built from (?<texts>\d+) texts")]
    private static partial Regex KeywordBuiltLine();
}
