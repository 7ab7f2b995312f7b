using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary>
/// int8 and binary collections through HTTP on a real <c>mosaic serve</c>: create, write, update, delete, search
/// (rescored, so scores are exact), then kill -9 and restart on the same data dir (graph snapshot plus repair from
/// the shard file) and search again; bad settings get 400/409.
/// </summary>
public sealed class QuantizationTests(ServerFixture fixture, ITestOutputHelper output) : IClassFixture<ServerFixture>, IDisposable
{
    private const int Count = 600;
    private readonly TempDirectory _dir = new("mosaic-quantization");

    [Fact]
    public Task QuantizedCollections_WriteUpdateDeleteSearch_SurviveKill9() => Seeds.RunAsync(output.WriteLine, async seed =>
    {
        var dataDir = _dir.Combine("data");
        var sets = new[] { new Set("q-int8", "int8", 32, "cosine", seed), new Set("q-binary", "binary", 384, "cosine", seed + 1) };

        // A snapshot every 300 changes: the first one is taken during the load, the updates and deletes after it
        // exist only in the shard file and must be repaired into the loaded quantized graph.
        string[] args = ["--Mosaic:Worker:SnapshotAfterChanges=300"];
        await using (var first = await StartAsync(dataDir, "first", args))
        {
            using var http = new MosaicHttp(first.BaseUrl);
            foreach (var set in sets)
            {
                var created = await http.CreateCollectionAsync(set.Name, new JsonObject { ["dimension"] = set.Dimension, ["metric"] = set.Metric, ["shards"] = 1, ["quantization"] = set.Quantization });
                Assert.Equal(set.Quantization, created["quantization"]?.GetValue<string>());
                foreach (var chunk in set.Docs.Chunk(200))
                {
                    var (written, _) = await http.BulkOkAsync(set.Name, chunk.Select(d => Line(Doc($"doc {d.Key}", d.Value, id: d.Key))));
                    Assert.Equal(chunk.Length, written);
                }

                // Update 100 (new vectors), delete 50.
                var updates = set.Docs.Keys.Take(100).ToList();
                var (updated, _) = await http.BulkOkAsync(set.Name, updates.Select(id => Line(Doc($"doc {id} v2", set.Replace(id), id: id))));
                Assert.Equal(100, updated);
                foreach (var id in set.Docs.Keys.Skip(100).Take(50).ToList())
                {
                    (await http.DeleteAsync($"collections/{set.Name}/docs/{id}")).AssertStatus(HttpStatusCode.OK);
                    set.Docs.Remove(id);
                }

                await AssertSearchesAsync(http, set, "before kill -9");
            }

            first.Kill();
        }

        await using var second = await StartAsync(dataDir, "second", args);
        using var http2 = new MosaicHttp(second.BaseUrl);
        await Wait.WaitUntilAsync(async () => (await http2.GetAsync("ready")).StatusCode == 200, TimeSpan.FromSeconds(60), "GET /ready == 200 after restart");
        foreach (var set in sets)
        {
            // The quantized graph came back from its snapshot files (base and deltas), repaired from the shard file with
            // whatever changes they missed; how many that is depends on when the last snapshot landed (it may cover all).
            string? opened = null;
            await Wait.WaitUntilAsync(
                () => (opened = second.LogText().Split('\n').FirstOrDefault(l => l.Contains($"Shard {set.Name}/", StringComparison.Ordinal) && l.Contains("opened", StringComparison.Ordinal))) is not null,
                TimeSpan.FromSeconds(60),
                $"{set.Name} opened");
            output.WriteLine(opened);
            Assert.Matches($"opened: {set.Docs.Count} rows, graph snapshot loaded, [0-9]+ rows repaired", opened);

            var info = await http2.GetAsync($"collections/{set.Name}");
            info.AssertStatus(HttpStatusCode.OK);
            Assert.Equal(set.Quantization, info.Object["quantization"]?.GetValue<string>());
            await AssertSearchesAsync(http2, set, "after kill -9 and restart");
        }
    });

    [Fact]
    public async Task BadQuantization_Is400_ChangingIt_Is409()
    {
        var http = fixture.Http;
        string bad = Names.Unique("bad-q"), q8 = Names.Unique("q8"), qf = Names.Unique("qf");
        (await http.PutAsync($"collections/{bad}", new JsonObject { ["dimension"] = 8, ["quantization"] = "int4" }))
            .AssertError(HttpStatusCode.BadRequest, "quantization");
        (await http.PutAsync($"collections/{bad}", new JsonObject { ["dimension"] = 8, ["quantization"] = 8 }))
            .AssertError(HttpStatusCode.BadRequest);
        (await http.PutAsync($"collections/{bad}", new JsonObject { ["dimension"] = 128, ["quantization"] = "binary" }))
            .AssertError(HttpStatusCode.BadRequest, "384");
        (await http.GetAsync($"collections/{bad}")).AssertStatus(HttpStatusCode.NotFound);

        (await http.PutAsync($"collections/{q8}", new JsonObject { ["dimension"] = 8, ["quantization"] = "int8" })).AssertStatus(HttpStatusCode.Created);
        (await http.PutAsync($"collections/{q8}", new JsonObject { ["dimension"] = 8, ["quantization"] = "int8" })).AssertStatus(HttpStatusCode.OK);
        (await http.PutAsync($"collections/{q8}", new JsonObject { ["dimension"] = 8, ["quantization"] = "float" })).AssertError(HttpStatusCode.Conflict);
        (await http.PutAsync($"collections/{q8}", new JsonObject { ["dimension"] = 8 })).AssertError(HttpStatusCode.Conflict);

        // Default is float, and saying so explicitly is the same settings.
        (await http.PutAsync($"collections/{qf}", new JsonObject { ["dimension"] = 8 })).AssertStatus(HttpStatusCode.Created);
        (await http.PutAsync($"collections/{qf}", new JsonObject { ["dimension"] = 8, ["quantization"] = "float" })).AssertStatus(HttpStatusCode.OK);
        Assert.Equal("float", (await http.GetAsync($"collections/{qf}")).Object["quantization"]?.GetValue<string>());
        Assert.Equal("int8", (await http.GetAsync($"collections/{q8}")).Object["quantization"]?.GetValue<string>());
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// Each updated doc is found at its new vector with its exact score; deleted docs are never returned; recall@10
    /// over 30 queries against brute force on the current vectors is at least 0.9 (exact rescoring of the final
    /// candidates: in practice 1.0 at this size).
    /// </summary>
    private async Task AssertSearchesAsync(MosaicHttp http, Set set, string when)
    {
        Assert.Equal(set.Docs.Count, await http.DocCountAsync(set.Name));
        foreach (var id in set.Docs.Keys.Take(20))
        {
            var answer = await http.SearchAsync(set.Name, new JsonObject { ["mode"] = "vector", ["vector"] = Vector(set.Docs[id]), ["top_k"] = 3 });
            var ids = MosaicHttp.HitIds(answer);
            Assert.True(ids.Count > 0 && ids[0] == id, $"{set.Name} {when}: search by {id}'s vector returned [{string.Join(',', ids)}]");
            Assert.Equal(1.0, MosaicHttp.HitScores(answer)[0], 3);
        }

        long found = 0;
        for (int q = 0; q < 30; q++)
        {
            var query = set.Query();
            var truth = ExactSearch.TopK(set.Metric, query, set.Docs.Select(d => (d.Key, d.Value)), 10).Select(t => t.Id).ToHashSet();
            var ids = MosaicHttp.HitIds(await http.SearchAsync(set.Name, new JsonObject { ["mode"] = "vector", ["vector"] = Vector(query), ["top_k"] = 10 }));
            Assert.DoesNotContain(ids, id => !set.Docs.ContainsKey(id));
            found += ids.Count(truth.Contains);
        }

        double recall = found / 300.0;
        output.WriteLine($"{set.Name} {when}: recall@10 {recall:F3}");
        Assert.True(recall >= 0.9, $"{set.Name} {when}: recall@10 {recall:F3} < 0.9");
    }

    private async Task<MosaicProcess> StartAsync(string dataDir, string name, string[] args)
    {
        var process = await MosaicProcess.StartServeAsync(dataDir, _dir.Combine($"{name}.log"), null, args);
        output.WriteLine($"started {name}: pid {process.Id} at {process.BaseUrl}, log {process.LogPath}");
        return process;
    }

    /// <summary>One collection's documents as the test believes them to be.</summary>
    private sealed class Set
    {
        private readonly ClusteredVectors _vectors;

        public Set(string name, string quantization, int dimension, string metric, int seed)
        {
            Name = name;
            Quantization = quantization;
            Dimension = dimension;
            Metric = metric;
            _vectors = new ClusteredVectors(seed, dimension, clusters: 12);
            for (int i = 0; i < Count; i++)
            {
                Docs[$"d{i}"] = _vectors.Next();
            }
        }

        public string Name { get; }

        public string Quantization { get; }

        public int Dimension { get; }

        public string Metric { get; }

        public Dictionary<string, float[]> Docs { get; } = [];

        public float[] Replace(string id) => Docs[id] = _vectors.Next();

        /// <summary>A fresh point from the same clusters as the documents.</summary>
        public float[] Query() => _vectors.Next();
    }
}
