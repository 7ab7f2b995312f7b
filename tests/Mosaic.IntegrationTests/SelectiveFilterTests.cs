using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary>
/// A filter that allows ~1% of 5,000 docs, in vector mode: still top_k hits, all allowed, and exactly the nearest allowed ones
/// (an index that filters after an approximate search returns too few or the wrong ones).
/// </summary>
public sealed class SelectiveFilterTests(ServerFixture fixture, ITestOutputHelper output) : IClassFixture<ServerFixture>
{
    private const int Docs = 5000;
    private const int Buckets = 100;
    private const int Dimension = 16;
    private readonly MosaicHttp _http = fixture.Http;

    [Fact]
    public Task SelectiveFilter_InVectorMode_ReturnsTheExactNearestAllowedDocs() => Seeds.RunAsync(output.WriteLine, async seed =>
    {
        var c = Names.Unique("selective");
        await _http.CreateCollectionAsync(c, new JsonObject
        {
            ["dimension"] = Dimension,
            ["metric"] = "cosine",
            ["shards"] = 4,
            ["fields"] = new JsonObject { ["bucket"] = "number", ["tag"] = "keyword" },
        });

        var generator = new ClusteredVectors(seed, Dimension, clusters: 20);
        var random = new Random(seed);
        var rows = Enumerable.Range(0, Docs).Select(i => (Id: $"v{i}", Bucket: random.Next(Buckets), Vector: generator.Next())).ToList();
        var tokens = new List<string>();
        foreach (var chunk in rows.Chunk(1000))
        {
            var (written, token) = await _http.BulkOkAsync(c, chunk.Select(r => Line(Doc(
                $"doc {r.Id}",
                r.Vector,
                new JsonObject { ["bucket"] = r.Bucket, ["tag"] = $"t{r.Bucket}" },
                id: r.Id))));
            Assert.Equal(chunk.Length, written);
            tokens.Add(token);
        }

        await SyncAsync(c, tokens);

        for (var q = 0; q < 20; q++)
        {
            var bucket = random.Next(Buckets);
            var query = generator.Next();
            // Alternate a number filter and a keyword filter over the same ~1% of docs.
            var filter = q % 2 == 0 ? Clause("bucket", ("eq", bucket)) : Clause("tag", ("in", Array($"t{bucket}")));
            var allowed = rows.Where(r => r.Bucket == bucket).Select(r => (r.Id, r.Vector)).ToList();
            var exact = ExactSearch.TopK("cosine", query, allowed, 10);

            var answer = await _http.SearchAsync(c, new JsonObject
            {
                ["mode"] = "vector",
                ["vector"] = Vector(query),
                ["top_k"] = 10,
                ["filter"] = filter,
                ["include"] = Array("fields"),
            });
            var hits = answer["hits"]!.AsArray();
            var context = $"query {q}, bucket {bucket} ({allowed.Count} allowed): got [{string.Join(',', MosaicHttp.HitIds(answer))}] expected [{string.Join(',', exact.Select(e => e.Id))}]";
            Assert.True(hits.Count == Math.Min(10, allowed.Count), $"hit count {hits.Count}; {context}");
            Assert.All(hits, h => Assert.Equal(bucket, h!["fields"]!["bucket"]!.GetValue<double>()));

            // Exactly the nearest allowed ones; a swap at the boundary is tolerated only for a float-level tie.
            var actualIds = MosaicHttp.HitIds(answer).ToHashSet();
            var kth = exact[^1].Score;
            foreach (var missing in exact.Where(e => !actualIds.Contains(e.Id)))
            {
                Assert.True(Math.Abs(missing.Score - kth) < 1e-5, $"missed {missing.Id} (score {missing.Score:F6}, 10th {kth:F6}); {context}");
            }

            SearchRankingTests.AssertDescending(MosaicHttp.HitScores(answer));
        }
    });

    /// <summary>Waits until every write is applied: one cheap search per write token (each shard waits for its slots).</summary>
    internal static async Task SyncAsync(MosaicHttp http, string collection, IEnumerable<string> tokens)
    {
        foreach (var token in tokens)
        {
            await http.SearchAsync(collection, new JsonObject
            {
                ["mode"] = "keyword",
                ["query"] = "doc",
                ["top_k"] = 1,
                ["consistency"] = new JsonObject { ["after"] = token },
            });
        }
    }

    private Task SyncAsync(string collection, IEnumerable<string> tokens) => SyncAsync(_http, collection, tokens);
}
