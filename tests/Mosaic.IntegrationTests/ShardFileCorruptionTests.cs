using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary>
/// A shard file is derived data: when its pages are damaged (the file still opens, its tables do not read), the node
/// rebuilds the replica from the store and answers completely again, without anyone touching it.
/// </summary>
public sealed class ShardFileCorruptionTests(ITestOutputHelper output) : IDisposable
{
    private const int Dimension = 8;
    private const string C = "damaged";
    private readonly TempDirectory _dir = new("mosaic-corrupt-shard");

    [Fact]
    public Task A_shard_file_with_damaged_pages_is_rebuilt_from_the_store() => Seeds.RunAsync(output.WriteLine, async seed =>
    {
        var dataDir = _dir.Combine("data");
        var generator = new ClusteredVectors(seed, Dimension, clusters: 6);
        var docs = Enumerable.Range(0, 900).Select(i => (Id: $"doc-{i}", Vector: generator.Next())).ToList();
        string token = "";
        await using (var first = await MosaicProcess.StartServeAsync(dataDir, _dir.Combine("first.log")))
        {
            using var http = new MosaicHttp(first.BaseUrl);
            await http.CreateCollectionAsync(C, new JsonObject { ["dimension"] = Dimension, ["metric"] = "cosine", ["shards"] = 2 });
            foreach (var chunk in docs.Chunk(300))
            {
                (_, token) = await http.BulkOkAsync(C, chunk.Select(d => Line(Doc($"common text of {d.Id}", d.Vector, id: d.Id))));
            }

            Assert.Equal(docs.Count, MosaicHttp.HitIds(await http.SearchAsync(C, Everything(token))).Count);

            // A clean stop: SQLite folds its write-ahead log into the file, so the damage below hits the rows themselves.
            Assert.Equal(0, await first.StopAsync(TimeSpan.FromSeconds(60)));
        }

        // Keep the first page (the header and the schema, so the file still opens) and overwrite every other page.
        string file = Directory.GetFiles(dataDir, "shard_000.db", SearchOption.AllDirectories).Single();
        foreach (var side in Directory.GetFiles(Path.GetDirectoryName(file)!, "shard_000.db-*"))
        {
            File.Delete(side);
        }

        long length = new FileInfo(file).Length;
        Assert.True(length > 3 * 4096, $"{file} holds {length} bytes: too little to damage its rows");
        await using (var stream = new FileStream(file, FileMode.Open, FileAccess.Write))
        {
            stream.Position = 4096;
            stream.Write(Enumerable.Repeat((byte)0x5A, (int)(length - 4096)).ToArray());
        }

        await using var second = await MosaicProcess.StartServeAsync(dataDir, _dir.Combine("second.log"));
        using var again = new MosaicHttp(second.BaseUrl);
        List<string> found = [];
        await Wait.WaitUntilAsync(
            async () =>
            {
                var r = await again.PostAsync($"collections/{C}/search", Everything(token));
                found = r.StatusCode == 200 && r.Object["partial"]?.GetValue<bool>() == false ? MosaicHttp.HitIds(r.Object) : [];
                return found.Count == docs.Count;
            },
            TimeSpan.FromSeconds(60),
            $"every document found after the damaged shard was rebuilt\n{second.LogTail()}");
        Assert.Equal(docs.Select(d => d.Id).Order(StringComparer.Ordinal), found.Order(StringComparer.Ordinal));
        Assert.Contains("from the store", second.LogText(), StringComparison.Ordinal);
        Assert.Equal(docs.Count, await again.DocCountAsync(C));
    });

    public void Dispose() => _dir.Dispose();

    /// <summary>A keyword search every document matches, after the token, asking for all of them.</summary>
    private static JsonObject Everything(string token) => new()
    {
        ["mode"] = "keyword",
        ["query"] = "common",
        ["top_k"] = 1000,
        ["timeout_ms"] = 5000,
        ["consistency"] = new JsonObject { ["after"] = token },
        ["include"] = new JsonArray(),
    };
}
