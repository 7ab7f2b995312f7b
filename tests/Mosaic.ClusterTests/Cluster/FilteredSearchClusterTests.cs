using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;
using static Mosaic.Testing.DocJson;

namespace Mosaic.ClusterTests.Cluster;

/// <summary>
/// Filters cross the wire to remote workers (as protobuf): every node kind, in every mode, returns exactly the allowed
/// top-k, including number conditions alone, which the workers answer from their sorted columns.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class FilteredSearchClusterTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    private const string C = "filtered";
    private const int Docs = 1200;

    [Fact]
    public Task Filtered_vector_keyword_and_hybrid_searches_on_remote_shards_return_the_exact_allowed_top_k() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec { Workers = 2, Coordinators = 1 }, async (cluster, seed) =>
        {
            var http = cluster.Http();
            var generator = new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 6);
            var random = new Random(seed);
            string[] colours = ["red", "green", "blue", "black", "white"];
            var rows = Enumerable.Range(0, Docs)
                .Select(i => new Row($"f{i}", colours[random.Next(colours.Length)], random.Next(0, 2001) / 4.0, 2000 + random.Next(25), generator.Next()))
                .ToList();
            await http.CreateCollectionAsync(C, new JsonObject
            {
                ["dimension"] = ClusterDocs.Dimension,
                ["metric"] = "cosine",
                ["shards"] = 4,
                ["replicas"] = 1,
                ["fields"] = new JsonObject { ["colour"] = "keyword", ["price"] = "number", ["year"] = "number" },
            });
            var tokens = new List<string>();
            foreach (var chunk in rows.Chunk(300))
            {
                tokens.Add((await http.BulkOkAsync(C, chunk.Select(r => Line(Doc($"item {r.Id}", r.Vector, new JsonObject { ["colour"] = r.Colour, ["price"] = r.Price, ["year"] = r.Year }, id: r.Id))))).Token);
            }

            await cluster.WaitSettledAsync(C, replicas: 1, TimeSpan.FromSeconds(60));
            foreach (var written in tokens)
            {
                // Every bulk applied on its shards: each shard waits for the slots of the token it is given.
                await http.SearchAsync(C, ClusterDocs.Keyword("item", written, topK: 1, timeoutMs: 30_000));
            }

            string token = tokens[^1];

            var cases = new (string Name, JsonObject Filter, Func<Row, bool> Allows)[]
            {
                ("eq keyword", Clause("colour", ("eq", "red")), r => r.Colour == "red"),
                ("in keyword", Clause("colour", ("in", Array("green", "white"))), r => r.Colour is "green" or "white"),
                ("selective range alone", Clause("price", ("gte", 100), ("lt", 104.5)), r => r.Price is >= 100 and < 104.5),
                ("open range", Clause("price", ("gt", 490)), r => r.Price > 490),
                ("number in", Clause("year", ("in", Array(2003, 2017))), r => r.Year is 2003 or 2017),
                ("number eq", Clause("year", ("eq", 2010)), r => r.Year == 2010),
                ("and", And(Clause("colour", ("eq", "blue")), Clause("price", ("lte", 250))), r => r.Colour == "blue" && r.Price <= 250),
                ("or", Or(Clause("year", ("eq", 2024)), Clause("price", ("lt", 5))), r => r.Year == 2024 || r.Price < 5),
                ("not", Not(Clause("colour", ("in", Array("red", "green", "blue", "black")))), r => r.Colour == "white"),
                ("nested", And(Or(Clause("colour", ("eq", "black")), Clause("year", ("gte", 2020))), Not(Clause("price", ("gt", 100)))),
                    r => (r.Colour == "black" || r.Year >= 2020) && !(r.Price > 100)),
                ("nothing", Clause("colour", ("eq", "purple")), _ => false),
            };
            foreach (var (name, filter, allows) in cases)
            {
                var allowed = rows.Where(allows).ToList();
                var query = generator.Next();
                var exact = ExactSearch.TopK("cosine", query, allowed.Select(r => (r.Id, r.Vector)), 10);
                var vector = await http.SearchAsync(C, Search("vector", query, filter, 10, token));
                var vectorIds = MosaicHttp.HitIds(vector);
                Assert.True(vectorIds.Count == exact.Count, $"{name}: {vectorIds.Count} vector hits, {allowed.Count} allowed");
                double kth = exact.Count > 0 ? exact[^1].Score : 0;
                foreach (var missing in exact.Where(e => !vectorIds.Contains(e.Id)))
                {
                    Assert.True(Math.Abs(missing.Score - kth) < 1e-5, $"{name}: vector search missed {missing.Id}");
                }

                var expected = allowed.Select(r => r.Id).Order(StringComparer.Ordinal).ToList();
                Assert.True(expected.Count <= 1000, $"{name}: {expected.Count} allowed");
                foreach (var mode in new[] { "keyword", "hybrid" })
                {
                    var answer = await http.SearchAsync(C, Search(mode, query, filter, 1000, token));
                    Assert.False(answer["partial"]!.GetValue<bool>(), $"{name} {mode}: {answer.ToJsonString()}");
                    Assert.Equal(expected, MosaicHttp.HitIds(answer).Order(StringComparer.Ordinal).ToList());
                }
            }
        });

    private static JsonObject Search(string mode, float[] vector, JsonObject filter, int topK, string token) => new()
    {
        ["mode"] = mode,
        ["query"] = "item",
        ["vector"] = Vector(vector),
        ["top_k"] = topK,
        ["filter"] = filter.DeepClone(),
        ["timeout_ms"] = 20_000,
        ["consistency"] = new JsonObject { ["after"] = token },
    };

    private sealed record Row(string Id, string Colour, double Price, int Year, float[] Vector);
}
