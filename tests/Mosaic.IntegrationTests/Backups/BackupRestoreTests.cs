using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Mosaic.IntegrationTests.Access;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests.Backups;

/// <summary>
/// <c>mosaic backup</c> and <c>mosaic restore</c> as child processes against a real <c>mosaic serve</c>: a backup taken
/// under a write load holds every write acknowledged before it started, and a server started on the restored data
/// directory answers for them (its shards rebuilt from the store).
/// </summary>
public sealed class BackupRestoreTests(ITestOutputHelper output) : IDisposable
{
    private const int Dimension = 8;
    private const string Collection = "backedup";
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(120);
    private readonly TempDirectory _dir = new("mosaic-backup");

    [Fact]
    public Task Backup_UnderWriteLoad_RestoresEveryWriteAcknowledgedBeforeIt() => Seeds.RunAsync(output.WriteLine, async seed =>
    {
        var generator = new ClusteredVectors(seed, Dimension, clusters: 6);
        var vectors = generator.Take(20_000);
        var acknowledged = new ConcurrentDictionary<int, long>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long backupStarted;
        string backupDir = _dir.Combine("backup");

        await using (var server = await MosaicProcess.StartServeAsync(_dir.Combine("data"), _dir.Combine("serve.log")))
        {
            using var http = new MosaicHttp(server.BaseUrl, TimeSpan.FromSeconds(30));
            await http.CreateCollectionAsync(Collection, new JsonObject { ["dimension"] = Dimension, ["metric"] = "cosine", ["shards"] = 3 });

            // Four writers until the backup is done; each records when its write was acknowledged.
            using var stop = new CancellationTokenSource();
            int next = -1;
            var writers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    int i = Interlocked.Increment(ref next);
                    if (i >= vectors.Length)
                    {
                        return;
                    }

                    var r = await http.PutAsync($"collections/{Collection}/docs/b{i}", Doc(TextOf(i), vectors[i]));
                    r.AssertStatus(HttpStatusCode.OK);
                    acknowledged[i] = clock.ElapsedTicks;
                }
            })).ToList();

            await Wait.WaitUntilAsync(() => Task.FromResult(acknowledged.Count >= 300 || writers.Any(w => w.IsFaulted)), TimeSpan.FromSeconds(60), "300 writes acknowledged");
            backupStarted = clock.ElapsedTicks;
            var backup = await CliRun.RunAsync(["backup", "--to", backupDir, "--url", server.BaseUrl], _dir.Combine("backup.log"), CliTimeout);
            int duringBackup = acknowledged.Count;
            // A few more writes after the backup, so the live store and the backup differ.
            await Wait.WaitUntilAsync(() => Task.FromResult(acknowledged.Count >= duringBackup + 50 || writers.Any(w => w.IsCompleted)), TimeSpan.FromSeconds(60), "writes after the backup");
            await stop.CancelAsync();
            await Task.WhenAll(writers);
            output.WriteLine(backup.Describe());
            Assert.True(backup.ExitCode == 0, backup.Describe());
            Assert.True(File.Exists(Path.Combine(backupDir, "manifest.json")), "no manifest.json in the backup");
        }

        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(backupDir, "manifest.json")))!.AsObject();
        output.WriteLine(manifest.ToJsonString());
        Assert.Equal("sqlite", manifest["store"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(manifest["mosaic_version"]?.GetValue<string>()), "manifest names no mosaic_version");
        var entry = manifest["collections"]!.AsArray().Single()!.AsObject();
        Assert.Equal(Collection, entry["name"]!.GetValue<string>());
        Assert.Equal(3, entry["shards"]!.GetValue<int>());
        long backedUp = entry["doc_count"]!.GetValue<long>();
        // Every write is a new document here, so the change-log head counts exactly the documents.
        Assert.Equal(backedUp, entry["log_head"]!.GetValue<long>());
        var before = acknowledged.Where(a => a.Value < backupStarted).Select(a => a.Key).ToList();
        Assert.True(backedUp >= before.Count && backedUp <= acknowledged.Count, $"the manifest counts {backedUp} documents; {before.Count} were acknowledged before the backup, {acknowledged.Count} in all");

        string restoredDir = _dir.Combine("restored");
        var restore = await CliRun.RunAsync(["restore", "--from", backupDir, "--data", restoredDir], _dir.Combine("restore.log"), CliTimeout);
        output.WriteLine(restore.Describe());
        Assert.True(restore.ExitCode == 0, restore.Describe());
        Assert.Contains("counts match the manifest", restore.Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(restoredDir, "shards")) && Directory.EnumerateFileSystemEntries(Path.Combine(restoredDir, "shards")).Any(), "a restore writes no shard files (they are derived)");

        await using var restored = await MosaicProcess.StartServeAsync(restoredDir, _dir.Combine("serve-restored.log"));
        using var again = new MosaicHttp(restored.BaseUrl, TimeSpan.FromSeconds(30));
        await Wait.WaitUntilAsync(async () => (await again.GetAsync("ready")).StatusCode == 200, TimeSpan.FromSeconds(60), "GET /ready == 200 on the restored server");
        await Wait.WaitUntilAsync(async () => await again.DocCountAsync(Collection) == backedUp, TimeSpan.FromSeconds(30), $"doc_count == {backedUp} (the manifest's) on the restored server");

        var missing = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(before, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, _) =>
        {
            var get = await again.GetAsync($"collections/{Collection}/docs/b{i}");
            if (get.Status != HttpStatusCode.OK || get.Object["text"]?.GetValue<string>() != TextOf(i))
            {
                missing.Add(get.Describe());
            }
        });
        Assert.True(missing.IsEmpty, $"{missing.Count} of {before.Count} writes acknowledged before the backup are not in the restore:\n{string.Join('\n', missing.Take(10))}");

        // Searchable, not just stored: the rebuilt shards find them by keyword and by vector.
        var random = new Random(seed);
        foreach (int i in Enumerable.Range(0, 20).Select(_ => before[random.Next(before.Count)]))
        {
            var keyword = MosaicHttp.HitIds(await again.SearchAsync(Collection, new JsonObject { ["mode"] = "keyword", ["query"] = WordOf(i) }));
            Assert.Equal(new[] { $"b{i}" }, keyword);
            var vector = MosaicHttp.HitIds(await again.SearchAsync(Collection, new JsonObject { ["mode"] = "vector", ["vector"] = Vector(vectors[i]), ["top_k"] = 5 }));
            Assert.Contains($"b{i}", vector);
        }
    });

    [Fact]
    public async Task Backup_BadRequests_AreClearErrors_AndABackupDirectoryIsNeverOverwritten()
    {
        await using var server = await MosaicProcess.StartServeAsync(_dir.Combine("data-bad"), _dir.Combine("serve-bad.log"));
        using var http = new MosaicHttp(server.BaseUrl, TimeSpan.FromSeconds(30));
        (await http.PostAsync("admin/backup", "{\"to\": \"relative/dir\"}")).AssertError(HttpStatusCode.BadRequest, "absolute");
        (await http.PostAsync("admin/backup", "{}")).AssertError(HttpStatusCode.BadRequest, "to");
        (await http.PostAsync("admin/backup", "{\"to\": ")).AssertStatus(HttpStatusCode.BadRequest);
        string taken = _dir.Combine("taken");
        (await http.PostAsync("admin/backup", new JsonObject { ["to"] = taken })).AssertStatus(HttpStatusCode.OK);
        var manifestBefore = File.ReadAllText(Path.Combine(taken, "manifest.json"));
        (await http.PostAsync("admin/backup", new JsonObject { ["to"] = taken })).AssertError(HttpStatusCode.Conflict, "not an empty directory");
        Assert.Equal(manifestBefore, File.ReadAllText(Path.Combine(taken, "manifest.json")));

        var twoSources = await CliRun.RunAsync(["backup", "--to", _dir.Combine("x"), "--url", server.BaseUrl, "--data", _dir.Combine("data-bad")], _dir.Combine("cli-bad.log"), CliTimeout);
        Assert.True(twoSources.ExitCode == 2, twoSources.Describe());
        var notABackup = await CliRun.RunAsync(["restore", "--from", _dir.Path, "--data", _dir.Combine("nowhere")], _dir.Combine("cli-bad.log"), CliTimeout);
        Assert.True(notABackup.ExitCode == 1 && notABackup.Output.Contains("manifest.json", StringComparison.Ordinal), notABackup.Describe());
    }

    [Fact]
    public async Task Backup_OfAStoppedServersDataDirectory_RestoresIt()
    {
        string data = _dir.Combine("data-stopped");
        await using (var server = await MosaicProcess.StartServeAsync(data, _dir.Combine("serve-stopped.log")))
        {
            using var http = new MosaicHttp(server.BaseUrl, TimeSpan.FromSeconds(30));
            await http.CreateCollectionAsync("kw", new JsonObject { ["shards"] = 2 });
            await http.BulkOkAsync("kw", Enumerable.Range(0, 40).Select(i => Line(Doc(TextOf(i), id: $"k{i}"))));
        }

        var backup = await CliRun.RunAsync(["backup", "--to", _dir.Combine("b-stopped"), "--data", data], _dir.Combine("cli-stopped.log"), CliTimeout);
        Assert.True(backup.ExitCode == 0, backup.Describe());
        var restore = await CliRun.RunAsync(["restore", "--from", _dir.Combine("b-stopped"), "--data", _dir.Combine("r-stopped")], _dir.Combine("cli-stopped.log"), CliTimeout);
        Assert.True(restore.ExitCode == 0, restore.Describe());
        await using var restored = await MosaicProcess.StartServeAsync(_dir.Combine("r-stopped"), _dir.Combine("serve-r-stopped.log"));
        using var again = new MosaicHttp(restored.BaseUrl, TimeSpan.FromSeconds(30));
        Assert.Equal(40, await again.DocCountAsync("kw"));
        await Wait.WaitUntilAsync(
            async () => MosaicHttp.HitIds(await again.SearchAsync("kw", new JsonObject { ["mode"] = "keyword", ["query"] = WordOf(39) })).SequenceEqual(["k39"]),
            TimeSpan.FromSeconds(30),
            "keyword search on the restored server finds k39");
    }

    [Fact]
    public async Task Backup_WithKeysOn_NeedsAnAdminKey()
    {
        string data = _dir.Combine("data-keys");
        var admin = await OfflineKeys.CreateAsync(data, _dir);
        var reader = await OfflineKeys.CreateAsync(data, _dir, "read");
        await using var server = await MosaicProcess.StartServeAsync(data, _dir.Combine("serve-keys.log"), null, "--Mosaic:Auth:Enabled=true");
        var none = await CliRun.RunAsync(["backup", "--to", _dir.Combine("b-nokey"), "--url", server.BaseUrl], _dir.Combine("cli-keys.log"), CliTimeout);
        Assert.True(none.ExitCode == 1 && none.Output.Contains("401", StringComparison.Ordinal), none.Describe());
        var low = await CliRun.RunAsync(["backup", "--to", _dir.Combine("b-read"), "--url", server.BaseUrl, "--key", reader], _dir.Combine("cli-keys.log"), CliTimeout);
        Assert.True(low.ExitCode == 1 && low.Output.Contains("403", StringComparison.Ordinal), low.Describe());
        Assert.False(Directory.Exists(_dir.Combine("b-read")), "a refused backup wrote nothing");
        var ok = await CliRun.RunAsync(["backup", "--to", _dir.Combine("b-admin"), "--url", server.BaseUrl, "--key", admin], _dir.Combine("cli-keys.log"), CliTimeout);
        Assert.True(ok.ExitCode == 0 && File.Exists(_dir.Combine("b-admin", "manifest.json")), ok.Describe());
    }

    public void Dispose() => _dir.Dispose();

    private static string WordOf(int i) => $"backed{i}w";

    private static string TextOf(int i) => $"document {WordOf(i)}";
}
