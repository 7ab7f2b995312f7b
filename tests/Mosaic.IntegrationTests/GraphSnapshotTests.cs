using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary>
/// Incremental graph snapshots on a real <c>mosaic serve</c>: after a few updates the snapshot is a delta far smaller
/// than the base, and a kill -9 then a restart loads base + deltas with nothing to repair and answers exactly as
/// before (same ids, same scores).
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

        // A snapshot after every 5 changes: the load writes several, each round of 5 updates one more.
        string[] args = ["--Mosaic:Worker:SnapshotAfterChanges=5"];
        var before = new List<(List<string> Ids, List<double> Scores)>();
        await using (var first = await StartAsync(dataDir, "first", args))
        {
            using var http = new MosaicHttp(first.BaseUrl);
            await http.CreateCollectionAsync("snap", new JsonObject { ["dimension"] = Dimension, ["metric"] = "cosine", ["shards"] = 1 });
            foreach (var chunk in docs.Chunk(500))
            {
                await http.BulkOkAsync("snap", chunk.Select(d => Line(Doc(vector: d.Value, id: d.Key))));
            }

            await Wait.WaitUntilAsync(async () => await http.DocCountAsync("snap") == Count, TimeSpan.FromSeconds(60), "all documents applied");
            await WaitForQuietSnapshotsAsync(first);

            // Rounds of 5 updates until one lands as a delta (a round right after a new base is always a delta).
            Snapshot? delta = null;
            for (int round = 0; round < 3 && delta is null; round++)
            {
                int seen = Snapshots(first).Count;
                var ids = docs.Keys.Skip(round * 5).Take(5).ToList();
                await http.BulkOkAsync("snap", ids.Select(id => Line(Doc(vector: docs[id] = vectors.Next(), id: id))));
                await Wait.WaitUntilAsync(() => Snapshots(first).Count > seen, TimeSpan.FromSeconds(60), "a snapshot after the updates");
                var last = Snapshots(first)[^1];
                output.WriteLine($"round {round}: {last.Line}");
                delta = last.Kind.StartsWith("delta", StringComparison.Ordinal) ? last : null;
            }

            Assert.NotNull(delta);
            long baseBytes = new FileInfo(Directory.GetFiles(dataDir, "shard_*.hnsw", SearchOption.AllDirectories).Single()).Length;
            output.WriteLine($"base {baseBytes} bytes, delta after 5 updates {delta.Bytes} bytes");
            Assert.True(delta.Bytes * 4 < baseBytes, $"delta {delta.Bytes} bytes is not under a quarter of the base's {baseBytes}");

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
        string? opened = null;
        await Wait.WaitUntilAsync(
            () => (opened = second.LogText().Split('\n').FirstOrDefault(l => l.Contains("Shard snap/", StringComparison.Ordinal) && l.Contains("opened", StringComparison.Ordinal))) is not null,
            TimeSpan.FromSeconds(60),
            "snap opened");
        output.WriteLine(opened);
        Assert.Matches("graph snapshot loaded, 0 rows repaired from the file, [1-9][0-9]* snapshot deltas applied", opened);
        Assert.Equal(Count, await http2.DocCountAsync("snap"));
        for (int i = 0; i < queries.Count; i++)
        {
            var answer = await http2.SearchAsync("snap", new JsonObject { ["mode"] = "vector", ["vector"] = Vector(queries[i]), ["top_k"] = 10 });
            Assert.Equal(before[i].Ids, MosaicHttp.HitIds(answer));
            Assert.Equal(before[i].Scores, MosaicHttp.HitScores(answer));
        }
    });

    public void Dispose() => _dir.Dispose();

    private static List<Snapshot> Snapshots(MosaicProcess process) =>
        [.. SnapshotLine().Matches(process.LogText()).Select(m => new Snapshot(m.Value, m.Groups["kind"].Value, long.Parse(m.Groups["bytes"].Value, System.Globalization.CultureInfo.InvariantCulture)))];

    /// <summary>Waits until no graph snapshot has been written for a second (the load's last one has landed).</summary>
    private static async Task WaitForQuietSnapshotsAsync(MosaicProcess process)
    {
        int count = -1;
        await Wait.WaitUntilAsync(
            () =>
            {
                int now = Snapshots(process).Count;
                bool quiet = now == count && now > 0;
                count = now;
                return quiet;
            },
            TimeSpan.FromSeconds(60),
            "snapshots of the load written",
            TimeSpan.FromSeconds(1));
    }

    [GeneratedRegex(@"Shard snap/\d+: graph snapshot (?<kind>base|delta \d+) written, (?<bytes>\d+) bytes[^\n]*")]
    private static partial Regex SnapshotLine();

    private async Task<MosaicProcess> StartAsync(string dataDir, string name, string[] args)
    {
        var process = await MosaicProcess.StartServeAsync(dataDir, _dir.Combine($"{name}.log"), null, args);
        output.WriteLine($"started {name}: pid {process.Id} at {process.BaseUrl}, log {process.LogPath}");
        return process;
    }

    private sealed record Snapshot(string Line, string Kind, long Bytes);
}
