using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary>
/// A graph or keyword snapshot that cannot be written (a full disk, a path it may not write) is only a slower next
/// open: the replica goes on applying the log at full speed, says what failed, leaves no half-written file, and
/// snapshots again once it can.
/// </summary>
public sealed class SnapshotFailureTests(ITestOutputHelper output) : IDisposable
{
    private const int Dimension = 8;
    private const string C = "snapfail";
    private readonly TempDirectory _dir = new("mosaic-snapshot-failure");

    [Fact]
    public Task A_snapshot_that_cannot_be_written_does_not_hold_up_indexing_and_is_written_once_it_can() => Seeds.RunAsync(output.WriteLine, async seed =>
    {
        var dataDir = _dir.Combine("data");
        await using var server = await MosaicProcess.StartServeAsync(dataDir, _dir.Combine("serve.log"), null, "--Mosaic:Worker:SnapshotAfterChanges=50", "--Mosaic:Worker:SnapshotGraphFraction=0");
        using var http = new MosaicHttp(server.BaseUrl);
        await http.CreateCollectionAsync(C, new JsonObject { ["dimension"] = Dimension, ["metric"] = "cosine", ["shards"] = 1 });
        var generator = new ClusteredVectors(seed, Dimension, clusters: 4);
        string token = await WriteAsync(http, generator, "a", 0, 10);
        await http.SearchAsync(C, Everything(token));

        // Directories where the snapshots' temporary files go: every attempt to write them fails.
        string shardDir = Directory.GetDirectories(Path.Combine(dataDir, "shards"), C + "-*").Single();
        string graphTemp = Path.Combine(shardDir, "shard_000.hnsw.tmp");
        string keywordTemp = Path.Combine(shardDir, "shard_000.kw.tmp");
        Directory.CreateDirectory(graphTemp);
        Directory.CreateDirectory(keywordTemp);

        int written = 10;
        for (int round = 0; round < 8; round++)
        {
            token = await WriteAsync(http, generator, "b", round * 60, 60);
            written += 60;
            var ids = MosaicHttp.HitIds(await http.SearchAsync(C, Everything(token)));
            Assert.Equal(written, ids.Count);
        }

        await Wait.WaitUntilAsync(() => server.LogText().Contains("snapshot could not be written", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the replica says its snapshot could not be written");
        string log = server.LogText();
        Assert.DoesNotContain("failed to apply changes", log, StringComparison.Ordinal);

        // Once the paths are free, the next snapshot lands (and no temporary file is left behind).
        Directory.Delete(graphTemp);
        Directory.Delete(keywordTemp);
        var graph = Path.Combine(shardDir, "shard_000.hnsw");
        var before = File.Exists(graph) ? File.GetLastWriteTimeUtc(graph) : DateTime.MinValue;
        token = await WriteAsync(http, generator, "c", 0, 120);
        written += 120;
        Assert.Equal(written, MosaicHttp.HitIds(await http.SearchAsync(C, Everything(token))).Count);
        await Wait.WaitUntilAsync(() => File.Exists(graph) && File.GetLastWriteTimeUtc(graph) > before && File.Exists(Path.Combine(shardDir, "shard_000.kw")), TimeSpan.FromSeconds(30), "a graph snapshot written after the paths were freed");
        Assert.Empty(Directory.GetFiles(shardDir, "*.tmp"));
    });

    public void Dispose() => _dir.Dispose();

    private static async Task<string> WriteAsync(MosaicHttp http, ClusteredVectors generator, string prefix, int first, int count)
    {
        var lines = Enumerable.Range(first, count).Select(i => Line(Doc($"common {prefix}{i}", generator.Next(), id: $"{prefix}-{i}")));
        var (n, token) = await http.BulkOkAsync(C, lines);
        Assert.Equal(count, n);
        return token;
    }

    private static JsonObject Everything(string token) => new()
    {
        ["mode"] = "keyword",
        ["query"] = "common",
        ["top_k"] = 1000,
        ["consistency"] = new JsonObject { ["after"] = token },
        ["include"] = new JsonArray(),
    };
}
