using System.Diagnostics;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary>Recall of the vector index through the whole API: 20k clustered vectors, 100 queries, recall@10 against brute force.</summary>
public sealed class RecallTests(ServerFixture fixture, ITestOutputHelper output) : IClassFixture<ServerFixture>
{
    private const int Docs = 20_000;
    private const int Queries = 100;
    private const int K = 10;
    private readonly MosaicHttp _http = fixture.Http;

    [Fact]
    public Task Recall_At10_IsAtLeast95Percent() => Seeds.RunAsync(output.WriteLine, async seed =>
    {
        var random = new Random(seed);
        var dimension = 32 + random.Next(33); // 32..64
        var clusters = 40 + random.Next(40);
        output.WriteLine($"dimension {dimension}, clusters {clusters}");
        var c = Names.Unique("recall");
        await _http.CreateCollectionAsync(c, new JsonObject
        {
            ["dimension"] = dimension,
            ["metric"] = "cosine",
            ["shards"] = 4,
            ["hnsw"] = new JsonObject { ["m"] = 16, ["ef_construction"] = 100 },
        });

        // Noise as large as the centers' norm: clusters overlap, so neighbours are not trivially the own cluster.
        var generator = new ClusteredVectors(seed, dimension, clusters, spread: 1.0);
        var vectors = generator.Take(Docs);
        var stopwatch = Stopwatch.StartNew();
        var tokens = new List<string>();
        for (var start = 0; start < Docs; start += 2000)
        {
            var (written, token) = await _http.BulkOkAsync(c, Enumerable.Range(start, 2000).Select(i => Line(Doc(vector: vectors[i], id: $"p{i}", text: $"doc {i}"))));
            Assert.Equal(2000, written);
            tokens.Add(token);
        }

        output.WriteLine($"bulk load acknowledged in {stopwatch.Elapsed.TotalSeconds:F1} s");
        await SelectiveFilterTests.SyncAsync(_http, c, tokens);
        output.WriteLine($"indexed in {stopwatch.Elapsed.TotalSeconds:F1} s");

        var candidates = vectors.Select((v, i) => (Id: $"p{i}", Vector: v)).ToList();
        var found = 0;
        var queryTime = Stopwatch.StartNew();
        for (var q = 0; q < Queries; q++)
        {
            var query = generator.Next();
            var exact = ExactSearch.TopK("cosine", query, candidates, K).Select(e => e.Id).ToHashSet();
            var hits = MosaicHttp.HitIds(await _http.SearchAsync(c, new JsonObject { ["mode"] = "vector", ["vector"] = Vector(query), ["top_k"] = K }));
            Assert.Equal(K, hits.Count);
            found += hits.Count(exact.Contains);
        }

        var recall = found / (double)(Queries * K);
        output.WriteLine($"recall@{K} = {recall:F4} over {Queries} queries ({queryTime.Elapsed.TotalMilliseconds / Queries:F1} ms per query incl. brute force)");
        Assert.True(recall >= 0.95, $"recall@{K} = {recall:F4} < 0.95 (dimension {dimension}, clusters {clusters})");
    });
}
