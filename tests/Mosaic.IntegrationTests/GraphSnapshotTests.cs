using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary>
/// Incremental graph snapshots on a real <c>mosaic serve</c>: load, stop cleanly, restart; then after a few updates the
/// snapshot is a delta far smaller than the base, and a kill -9 then a restart loads base + deltas with nothing to
/// repair and answers exactly as before (same ids, same scores).
/// </summary>
public sealed partial class GraphSnapshotTests(ITestOutputHelper output) : IDisposable
{
    private const int Count = 3_000;
    private const int Dimension = 32;
    private readonly TempDirectory _dir = new("mosaic-graph-snapshots");

    [Fact]
    public Task FewChanges_WriteASmallDelta_AndKill9ReloadsTheSameGraph() => Seeds.RunAsync(output.WriteLine, async seed =>
    {
        var dataDir = _dir.Combine("data");
        var vectors = new ClusteredVectors(seed, Dimension, clusters: 12);
        var docs = Enumerable.Range(0, Count).ToDictionary(i => $"d{i}", _ => vectors.Next());
        var queries = Enumerable.Range(0, 20).Select(_ => vectors.Next()).ToList();

        // A snapshot after every 5 changes (not a tenth of the rows).
        string[] args = ["--Mosaic:Worker:SnapshotAfterChanges=5", "--Mosaic:Worker:SnapshotGraphFraction=0"];
        await using (var loader = await StartAsync(dataDir, "load", args))
        {
            using var http = new MosaicHttp(loader.BaseUrl);
            await http.CreateCollectionAsync("snap", new JsonObject { ["dimension"] = Dimension, ["metric"] = "cosine", ["shards"] = 1 });
            foreach (var chunk in docs.Chunk(500))
            {
                await http.BulkOkAsync("snap", chunk.Select(d => Line(Doc(vector: d.Value, id: d.Key))));
            }

            // Applied by the shard, not only stored: rows still in the change log at the stop would be applied after the
            // next start, and those inserts (not the updates under test) would fill the first delta.
            await Wait.WaitUntilAsync(
                async () => (await http.GetAsync("collections/snap")).Object["shard_stats"] is JsonArray { Count: 1 } stats
                    && stats[0]!["lag"]!.GetValue<long>() == 0 && stats[0]!["doc_count"]!.GetValue<long>() == Count,
                TimeSpan.FromSeconds(60),
                "all documents applied by the shard");

            // SIGTERM: a clean stop snapshots whatever the load's last snapshot missed, so the next start has nothing pending.
            output.WriteLine($"load exited with {await loader.StopAsync(TimeSpan.FromSeconds(60))} after SIGTERM");
        }

        var before = new List<(List<string> Ids, List<double> Scores)>();
        await using (var first = await StartAsync(dataDir, "first", args))
        {
            using var http = new MosaicHttp(first.BaseUrl);
            Assert.Matches($"opened: {Count} rows, graph snapshot loaded, 0 rows repaired", await OpenedAsync(first));

            // Rounds of 5 updates: each gives exactly one snapshot (the counter starts at 0), and the round right after a
            // new base always gives a delta.
            Snapshot? delta = null;
            for (int round = 0; round < 2 && delta is null; round++)
            {
                var ids = docs.Keys.Skip(round * 5).Take(5).ToList();
                await http.BulkOkAsync("snap", ids.Select(id => Line(Doc(vector: docs[id] = vectors.Next(), id: id))));
                await Wait.WaitUntilAsync(() => Snapshots(first).Count > round, TimeSpan.FromSeconds(60), $"the snapshot of round {round}");
                var last = Snapshots(first)[round];
                output.WriteLine($"round {round}: {last.Line}");
                delta = last.Kind.StartsWith("delta", StringComparison.Ordinal) ? last : null;
            }

            Assert.NotNull(delta);
            Assert.Equal(Count / 2, delta.TotalChunks);
            long baseBytes = new FileInfo(Directory.GetFiles(dataDir, "shard_*.hnsw", SearchOption.AllDirectories).Single()).Length;
            output.WriteLine($"base {baseBytes} bytes, delta after 5 updates {delta.Bytes} bytes");
            Assert.True(delta.Bytes * 6 < baseBytes, $"delta {delta.Bytes} bytes is not under a sixth of the base's {baseBytes}");

            foreach (var q in queries)
            {
                var answer = await http.SearchAsync("snap", new JsonObject { ["mode"] = "vector", ["vector"] = Vector(q), ["top_k"] = 10 });
                before.Add((MosaicHttp.HitIds(answer), MosaicHttp.HitScores(answer)));
            }

            first.Kill();
        }

        await using var second = await StartAsync(dataDir, "second", args);
        using var http2 = new MosaicHttp(second.BaseUrl);
        await Wait.WaitUntilAsync(async () => (await http2.GetAsync("ready")).StatusCode == 200, TimeSpan.FromSeconds(60), "GET /ready == 200 after restart");
        Assert.Matches("graph snapshot loaded, 0 rows repaired from the file, [1-9][0-9]* snapshot deltas applied", await OpenedAsync(second));
        Assert.Equal(Count, await http2.DocCountAsync("snap"));
        for (int i = 0; i < queries.Count; i++)
        {
            var answer = await http2.SearchAsync("snap", new JsonObject { ["mode"] = "vector", ["vector"] = Vector(queries[i]), ["top_k"] = 10 });
            Assert.Equal(before[i].Ids, MosaicHttp.HitIds(answer));
            Assert.Equal(before[i].Scores, MosaicHttp.HitScores(answer));
        }
    });

    [Fact]
    public Task Snapshots_WaitForAFractionOfTheRows_AndKill9RepairsTheRest() => Seeds.RunAsync(output.WriteLine, async seed =>
    {
        var dataDir = _dir.Combine("data-fraction");
        var vectors = new ClusteredVectors(seed, Dimension, clusters: 12);
        var docs = Enumerable.Range(0, 1_000).ToDictionary(i => $"f{i}", _ => vectors.Next());

        // At least 50 changes and half the rows: each snapshot after the first needs the rows to have doubled since the
        // one before, so 1,000 inserts give at most 5 (at 50, 100, 200, 400, 800 rows), however the batches coalesce;
        // at 50 changes alone, 10 batches of 100 that each wait until applied would give 10.
        string[] args = ["--Mosaic:Worker:SnapshotAfterChanges=50", "--Mosaic:Worker:SnapshotGraphFraction=0.5"];
        await using (var first = await StartAsync(dataDir, "fraction-first", args))
        {
            using var http = new MosaicHttp(first.BaseUrl);
            await http.CreateCollectionAsync("snap", new JsonObject { ["dimension"] = Dimension, ["metric"] = "cosine", ["shards"] = 1 });
            int sent = 0;
            foreach (var chunk in docs.Chunk(100))
            {
                await http.BulkOkAsync("snap", chunk.Select(d => Line(Doc(vector: d.Value, id: d.Key))));
                sent += chunk.Length;
                await Wait.WaitUntilAsync(
                    async () => (await http.GetAsync("collections/snap")).Object["shard_stats"] is JsonArray { Count: 1 } stats
                        && stats[0]!["lag"]!.GetValue<long>() == 0 && stats[0]!["doc_count"]!.GetValue<long>() == sent,
                    TimeSpan.FromSeconds(60),
                    $"{sent} documents applied by the shard");
            }

            // The last batch's snapshot (if due) is written after the apply that the wait saw: give it time to show.
            await Wait.WaitUntilAsync(() => Snapshots(first).Count >= 1, TimeSpan.FromSeconds(60), "a snapshot");
            var written = Snapshots(first);
            foreach (var snapshot in written)
            {
                output.WriteLine(snapshot.Line);
            }

            Assert.InRange(written.Count, 1, 5);
            first.Kill();
        }

        // kill -9: the rows after the last snapshot are repaired from the shard file, none lost. (Fewer than half of them
        // once the last due snapshot landed; one due at the very end may still be in flight at the kill.)
        await using var second = await StartAsync(dataDir, "fraction-second", args);
        using var http2 = new MosaicHttp(second.BaseUrl);
        await Wait.WaitUntilAsync(async () => (await http2.GetAsync("ready")).StatusCode == 200, TimeSpan.FromSeconds(60), "GET /ready == 200 after restart");
        var repaired = Regex.Match(await OpenedAsync(second), "opened: 1000 rows, graph snapshot loaded, (?<n>[0-9]+) rows repaired");
        Assert.True(repaired.Success, "the shard opened from its snapshot with all 1000 rows");
        Assert.InRange(int.Parse(repaired.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture), 0, docs.Count - 50);
        Assert.Equal(docs.Count, await http2.DocCountAsync("snap"));
        foreach (var (id, vector) in docs.Where((_, i) => i % 50 == 0))
        {
            var answer = await http2.SearchAsync("snap", new JsonObject { ["mode"] = "vector", ["vector"] = Vector(vector), ["top_k"] = 1 });
            Assert.Equal([id], MosaicHttp.HitIds(answer));
        }
    });

    public void Dispose() => _dir.Dispose();

    private async Task<string> OpenedAsync(MosaicProcess process)
    {
        string? opened = null;
        await Wait.WaitUntilAsync(
            () => (opened = process.LogText().Split('\n').FirstOrDefault(l => l.Contains("Shard snap/", StringComparison.Ordinal) && l.Contains("opened", StringComparison.Ordinal))) is not null,
            TimeSpan.FromSeconds(60),
            "snap opened");
        output.WriteLine(opened);
        return opened!;
    }

    private static List<Snapshot> Snapshots(MosaicProcess process) =>
        [.. SnapshotLine().Matches(process.LogText()).Select(m => new Snapshot(m.Value, m.Groups["kind"].Value, long.Parse(m.Groups["bytes"].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(m.Groups["total"].Value, System.Globalization.CultureInfo.InvariantCulture)))];

    [GeneratedRegex(@"Shard snap/\d+: graph snapshot (?<kind>base|delta \d+) written, (?<bytes>\d+) bytes, \d+ of (?<total>\d+) chunks")]
    private static partial Regex SnapshotLine();

    private async Task<MosaicProcess> StartAsync(string dataDir, string name, string[] args)
    {
        var process = await MosaicProcess.StartServeAsync(dataDir, _dir.Combine($"{name}.log"), null, args);
        output.WriteLine($"started {name}: pid {process.Id} at {process.BaseUrl}, log {process.LogPath}");
        return process;
    }

    private sealed record Snapshot(string Line, string Kind, long Bytes, int TotalChunks);
}
