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

    [Fact]
    public Task SelectiveFilters_FollowUpdatesAndDeletes_InEveryMode() => Seeds.RunAsync(output.WriteLine, async seed =>
    {
        // Keyword filters are answered from per-value posting lists, number filters from sorted columns; values that move,
        // rows deleted and re-added must leave them exact. 3,000 docs, 60 tags (~1.7 % each), then a third of tags t1 moved to t2 and t3 half deleted.
        var c = Names.Unique("postings");
        await _http.CreateCollectionAsync(c, new JsonObject
        {
            ["dimension"] = Dimension,
            ["metric"] = "cosine",
            ["shards"] = 3,
            ["fields"] = new JsonObject { ["bucket"] = "number", ["tag"] = "keyword", ["group"] = "keyword" },
        });
        var generator = new ClusteredVectors(seed, Dimension, clusters: 10);
        var random = new Random(seed);
        var rows = Enumerable.Range(0, 3000)
            .Select(i => new PostingRow($"p{i}", $"t{random.Next(60)}", random.Next(3) == 0 ? "g-a" : "g-b", random.Next(100), generator.Next()))
            .ToDictionary(r => r.Id);
        var tokens = new List<string>();
        foreach (var chunk in rows.Values.Chunk(500))
        {
            tokens.Add((await _http.BulkOkAsync(c, chunk.Select(r => r.Line()))).Token);
        }

        var moved = rows.Values.Where(r => r.Tag == "t1").Where((_, i) => i % 3 == 0).Select(r => r with { Tag = "t2", Bucket = 7 }).ToList();
        var deleted = rows.Values.Where(r => r.Tag == "t3").Where((_, i) => i % 2 == 0).Select(r => r.Id).ToList();
        var readded = deleted.Take(3).Select(id => rows[id] with { Tag = "t1" }).ToList();
        tokens.Add((await _http.BulkOkAsync(c, moved.Select(r => r.Line()).Concat(deleted.Select(DeleteLine)))).Token);
        tokens.Add((await _http.BulkOkAsync(c, readded.Select(r => r.Line()))).Token);
        foreach (var r in moved.Concat(readded))
        {
            rows[r.Id] = r;
        }

        foreach (var id in deleted.Skip(3))
        {
            rows.Remove(id);
        }

        await SyncAsync(c, tokens);

        var cases = new (string Name, JsonObject Filter, Func<PostingRow, bool> Allows)[]
        {
            ("t1", Clause("tag", ("eq", "t1")), r => r.Tag == "t1"),
            ("t2", Clause("tag", ("eq", "t2")), r => r.Tag == "t2"),
            ("t3", Clause("tag", ("eq", "t3")), r => r.Tag == "t3"),
            ("t1|t3 and bucket<50", And(Clause("tag", ("in", Array("t1", "t3"))), Clause("bucket", ("lt", 50))), r => r.Tag is "t1" or "t3" && r.Bucket < 50),
            ("t2 or (t5 and g-a)", Or(Clause("tag", ("eq", "t2")), And(Clause("tag", ("eq", "t5")), Clause("group", ("eq", "g-a")))), r => r.Tag == "t2" || (r.Tag == "t5" && r.Group == "g-a")),
            ("g-a, bucket<20, not t4", And(Clause("group", ("eq", "g-a")), Clause("bucket", ("lt", 20)), Not(Clause("tag", ("eq", "t4")))), r => r.Group == "g-a" && r.Bucket < 20 && r.Tag != "t4"),
            ("absent value", Clause("tag", ("eq", "t999")), _ => false),
            // Number conditions alone are driven by the sorted columns, which must follow moved values (moved rows have bucket 7).
            ("7 <= bucket <= 7", Clause("bucket", ("gte", 7), ("lte", 7)), r => r.Bucket == 7),
            ("40 < bucket < 42", Clause("bucket", ("gt", 40), ("lt", 42)), r => r.Bucket is > 40 and < 42),
            ("bucket in 3, 96", Clause("bucket", ("in", Array(3, 96))), r => r.Bucket is 3 or 96),
            ("bucket >= 98 or t2", Or(Clause("bucket", ("gte", 98)), Clause("tag", ("eq", "t2"))), r => r.Bucket >= 98 || r.Tag == "t2"),
        };
        foreach (var (name, filter, allows) in cases)
        {
            var allowed = rows.Values.Where(allows).ToList();
            var query = generator.Next();

            // Vector: exactly the nearest allowed ten.
            var exact = ExactSearch.TopK("cosine", query, allowed.Select(r => (r.Id, r.Vector)), 10);
            var vector = await _http.SearchAsync(c, new JsonObject { ["mode"] = "vector", ["vector"] = Vector(query), ["top_k"] = 10, ["filter"] = filter.DeepClone() });
            var vectorIds = MosaicHttp.HitIds(vector);
            Assert.True(vectorIds.Count == exact.Count, $"{name}: {vectorIds.Count} vector hits, {allowed.Count} allowed");
            var kth = exact.Count > 0 ? exact[^1].Score : 0;
            foreach (var missing in exact.Where(e => !vectorIds.Contains(e.Id)))
            {
                Assert.True(Math.Abs(missing.Score - kth) < 1e-5, $"{name}: vector missed {missing.Id}");
            }

            Assert.All(vectorIds, id => Assert.True(rows.TryGetValue(id, out var r) && allows(r), $"{name}: {id} is not allowed"));

            // Keyword and hybrid with top_k above the allowed count: exactly the allowed set.
            var expected = allowed.Select(r => r.Id).Order(StringComparer.Ordinal).ToList();
            foreach (var mode in new[] { "keyword", "hybrid" })
            {
                var answer = await _http.SearchAsync(c, new JsonObject
                {
                    ["mode"] = mode, ["query"] = "doc", ["vector"] = Vector(query), ["top_k"] = 1000, ["filter"] = filter.DeepClone(),
                });
                Assert.True(expected.Count <= 1000, $"{name}: {expected.Count} allowed");
                Assert.Equal(expected, MosaicHttp.HitIds(answer).Order(StringComparer.Ordinal).ToList());
            }
        }
    });

    private sealed record PostingRow(string Id, string Tag, string Group, int Bucket, float[] Vector)
    {
        public string Line() => DocJson.Line(Doc($"doc {Id}", Vector, new JsonObject { ["bucket"] = Bucket, ["tag"] = Tag, ["group"] = Group }, id: Id));
    }

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
