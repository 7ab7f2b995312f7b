using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary>Ranking through the API: vector (per metric), keyword (BM25), hybrid (RRF), batch, and the answer's shape.</summary>
public sealed class SearchRankingTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly MosaicHttp _http = fixture.Http;

    // Hand-made 4-d vectors: each metric orders them differently around the query [1, 0, 0, 0].
    private static readonly (string Id, float[] Vector)[] HandMade =
    [
        ("a", [1f, 0f, 0f, 0f]),
        ("b", [0.9f, 0.2f, 0f, 0f]),
        ("c", [0.7f, 0.7f, 0f, 0f]),
        ("d", [0f, 1f, 0f, 0f]),
        ("e", [-1f, 0f, 0f, 0f]),
        ("f", [3f, 0.9f, 0.2f, 0f]),
        ("g", [0.45f, 0f, 0.05f, 0f]),
        ("h", [0.1f, 0f, 0f, 1f]),
        ("i", [1.6f, -0.3f, 0f, 0.4f]),
    ];

    private static readonly float[] HandQuery = [1f, 0f, 0f, 0f];

    private async Task<string> NewCollectionAsync(string prefix, int dimension, string metric = "cosine", int shards = 2)
    {
        var name = Names.Unique(prefix);
        await _http.CreateCollectionAsync(name, new JsonObject
        {
            ["dimension"] = dimension,
            ["metric"] = metric,
            ["shards"] = shards,
            ["fields"] = new JsonObject { ["category"] = "keyword" },
        });
        return name;
    }

    [Fact]
    public async Task NewCollection_IsSearchableRightAfterItsFirstWrite_WithTheWritesToken()
    {
        // Create, write, search with the write's token: no pause anywhere. The token promises the write is visible.
        for (var i = 0; i < 5; i++)
        {
            var c = await NewCollectionAsync("fresh", 2, shards: 4);
            var token = await _http.UpsertAsync(c, "first", Doc("brand new collection", [1, 0]));
            var r = await _http.PostAsync($"collections/{c}/search", new JsonObject
            {
                ["mode"] = "keyword",
                ["query"] = "brand",
                ["consistency"] = new JsonObject { ["after"] = token },
            });
            r.AssertStatus(HttpStatusCode.OK);
            Assert.Equal(["first"], MosaicHttp.HitIds(r.Object));
        }
    }

    [Theory]
    [InlineData("cosine")]
    [InlineData("dot")]
    [InlineData("l2")]
    public async Task VectorMode_ReturnsNearestFirst_ForEachMetric(string metric)
    {
        var c = await NewCollectionAsync("vec-" + metric, 4, metric, shards: 3);
        var (_, token) = await _http.BulkOkAsync(c, HandMade.Select(d => Line(Doc($"hand {d.Id}", d.Vector, id: d.Id))));

        var expected = ExactSearch.TopK(metric, HandQuery, HandMade, HandMade.Length);
        for (var i = 1; i < expected.Count; i++)
        {
            Assert.True(expected[i - 1].Score - expected[i].Score > 1e-4, $"test data has a near tie under {metric}: {expected[i - 1]} / {expected[i]}");
        }

        var answer = await _http.SearchAsync(c, new JsonObject
        {
            ["mode"] = "vector",
            ["vector"] = Vector(HandQuery),
            ["top_k"] = HandMade.Length,
            ["consistency"] = new JsonObject { ["after"] = token },
        });
        Assert.Equal(expected.Select(e => e.Id).ToList(), MosaicHttp.HitIds(answer));
        var scores = MosaicHttp.HitScores(answer);
        AssertDescending(scores);
        if (metric != "cosine")
        {
            // Dot and L2 scores are defined exactly (L2 as negated distance); cosine is checked for order only.
            Assert.Equal(expected[0].Score, scores[0], 3);
        }

        var top3 = await _http.SearchAsync(c, new JsonObject { ["mode"] = "vector", ["vector"] = Vector(HandQuery), ["top_k"] = 3 });
        Assert.Equal(expected.Take(3).Select(e => e.Id).ToList(), MosaicHttp.HitIds(top3));
    }

    [Fact]
    public async Task KeywordMode_RanksDocsWithTheTermsAboveOthers()
    {
        // One shard, so BM25 statistics are global and the expected order is exact.
        var c = await NewCollectionAsync("kw", 2, shards: 1);
        var docs = new (string Id, string Text)[]
        {
            ("k1", "the quick brown fox"),
            ("k2", "lazy dogs sleep all day"),
            ("k3", "fox hunting at dawn"),
            ("k4", "a brown dog and a red fox"),
            ("k5", "completely unrelated words"),
        };
        var (_, token) = await _http.BulkOkAsync(c, docs.Select(d => Line(Doc(d.Text, [1, 0], id: d.Id))));
        var after = new JsonObject { ["after"] = token };

        var fox = MosaicHttp.HitIds(await _http.SearchAsync(c, new JsonObject { ["mode"] = "keyword", ["query"] = "fox", ["consistency"] = after.DeepClone() }));
        Assert.Equal(["k1", "k3", "k4"], fox.Order(StringComparer.Ordinal).ToList());
        Assert.Equal("k4", fox[^1]); // the longest doc with one occurrence ranks last (length normalization)

        var brownFox = await _http.SearchAsync(c, new JsonObject { ["mode"] = "keyword", ["query"] = "brown fox", ["consistency"] = after.DeepClone() });
        var ids = MosaicHttp.HitIds(brownFox);
        Assert.Equal(3, ids.Count);
        Assert.Equal(["k1", "k4"], ids.Take(2).Order(StringComparer.Ordinal).ToList()); // both terms beat one term
        Assert.Equal("k3", ids[2]);
        AssertDescending(MosaicHttp.HitScores(brownFox));

        var none = await _http.SearchAsync(c, new JsonObject { ["mode"] = "keyword", ["query"] = "zebra", ["consistency"] = after.DeepClone() });
        Assert.Empty(MosaicHttp.HitIds(none));
    }

    [Fact]
    public async Task KeywordMode_AcrossShards_ReturnsExactlyTheMatchingDocs()
    {
        var c = await NewCollectionAsync("kwshards", 2, shards: 4);
        var lines = Enumerable.Range(0, 80).Select(i => Line(Doc(i % 4 == 0 ? $"needle number {i}" : $"haystack straw {i}", [1, i], id: $"s{i}")));
        var (_, token) = await _http.BulkOkAsync(c, lines);

        var answer = await _http.SearchAsync(c, new JsonObject
        {
            ["mode"] = "keyword",
            ["query"] = "needle",
            ["top_k"] = 100,
            ["consistency"] = new JsonObject { ["after"] = token },
        });
        var expected = Enumerable.Range(0, 80).Where(i => i % 4 == 0).Select(i => $"s{i}").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, MosaicHttp.HitIds(answer).Order(StringComparer.Ordinal).ToList());
        AssertDescending(MosaicHttp.HitScores(answer));
    }

    [Fact]
    public async Task HybridMode_DocTopInBothLists_RanksFirst_AndBothListsContribute()
    {
        // One shard with filler docs, so BM25 idf is positive and the keyword order is the intended one.
        var c = await NewCollectionAsync("hyb", 2, shards: 1);
        var docs = new List<(string Id, string Text, float[] Vector)>
        {
            ("both", "solar panel installation guide", [1f, 0.02f]),   // best keyword match and nearest vector
            ("vec", "garden hose and sprinkler", [1f, 0.15f]),         // second nearest, no terms
            ("kw", "solar panel", [-1f, 0.4f]),                         // has the terms, far vector
        };
        for (var i = 0; i < 12; i++)
        {
            docs.Add(($"filler{i}", $"kitchen table number {i}", [-0.5f - i, -1f]));
        }

        var (_, token) = await _http.BulkOkAsync(c, docs.Select(d => Line(Doc(d.Text, d.Vector, id: d.Id))));
        var after = new JsonObject { ["after"] = token };
        var query = "solar panel installation";

        Assert.Equal("both", MosaicHttp.HitIds(await _http.SearchAsync(c, new JsonObject { ["mode"] = "keyword", ["query"] = query, ["consistency"] = after.DeepClone() }))[0]);
        Assert.Equal("both", MosaicHttp.HitIds(await _http.SearchAsync(c, new JsonObject { ["mode"] = "vector", ["vector"] = Vector([1f, 0f]), ["consistency"] = after.DeepClone() }))[0]);

        var answer = await _http.SearchAsync(c, new JsonObject
        {
            ["mode"] = "hybrid",
            ["query"] = query,
            ["vector"] = Vector([1f, 0f]),
            ["top_k"] = 5,
            ["consistency"] = after.DeepClone(),
        });
        var ids = MosaicHttp.HitIds(answer);
        Assert.Equal(5, ids.Count);
        Assert.Equal("both", ids[0]);
        // "vec" is 2nd in the vector list only, "kw" 2nd in the keyword list only: both fuse to 1/62 and follow "both".
        Assert.Equal(["kw", "vec"], ids.Skip(1).Take(2).Order(StringComparer.Ordinal).ToList());
        AssertDescending(MosaicHttp.HitScores(answer));
    }

    [Fact]
    public async Task HybridMode_IsReciprocalRankFusionOfTheTwoLists()
    {
        var random = new Random(20240611);
        var c = await NewCollectionAsync("rrf", 8, shards: 2);

        // 14 of 40 docs contain "quantum", each with a different length, so keyword scores never tie; random vectors never tie.
        var docs = Enumerable.Range(0, 40).Select(i =>
        {
            var text = i < 14 ? "quantum" + string.Concat(Enumerable.Repeat(" filler", i)) : $"nothing to see {i}";
            return (Id: $"r{i}", Text: text, Vector: ClusteredVectors.Uniform(random, 8));
        }).ToList();
        var (_, token) = await _http.BulkOkAsync(c, docs.Select(d => Line(Doc(d.Text, d.Vector, id: d.Id))));
        var query = ClusteredVectors.Uniform(random, 8);
        const string text = "quantum";

        // top_k covers the whole collection, so both lists are complete and the fusion is fully determined by them.
        var after = new JsonObject { ["after"] = token };
        var vectorList = MosaicHttp.HitIds(await _http.SearchAsync(c, new JsonObject { ["mode"] = "vector", ["vector"] = Vector(query), ["top_k"] = 100, ["consistency"] = after.DeepClone() }));
        var keywordList = MosaicHttp.HitIds(await _http.SearchAsync(c, new JsonObject { ["mode"] = "keyword", ["query"] = text, ["top_k"] = 100, ["consistency"] = after.DeepClone() }));
        Assert.Equal(40, vectorList.Count);
        Assert.Equal(14, keywordList.Count);
        var hybrid = MosaicHttp.HitIds(await _http.SearchAsync(c, new JsonObject
        {
            ["mode"] = "hybrid",
            ["query"] = text,
            ["vector"] = Vector(query),
            ["top_k"] = 100,
            ["consistency"] = after.DeepClone(),
        }));

        var rrf = new Dictionary<string, double>();
        foreach (var list in new[] { vectorList, keywordList })
        {
            for (var rank = 0; rank < list.Count; rank++)
            {
                rrf[list[rank]] = rrf.GetValueOrDefault(list[rank]) + (1.0 / (60 + rank + 1));
            }
        }

        var expected = rrf.Values.OrderByDescending(v => v).ToList();
        var context = $"vector={string.Join(',', vectorList)} keyword={string.Join(',', keywordList)} hybrid={string.Join(',', hybrid)}";
        Assert.True(hybrid.Count == 40, context);
        Assert.Equal(40, hybrid.Distinct().Count());
        for (var i = 0; i < hybrid.Count; i++)
        {
            // Equal fused scores may come in any order; otherwise the order is RRF's (k = 60).
            Assert.True(Math.Abs(rrf.GetValueOrDefault(hybrid[i]) - expected[i]) < 1e-9, $"rank {i}: {hybrid[i]} has RRF {rrf.GetValueOrDefault(hybrid[i]):F6}, expected {expected[i]:F6}; {context}");
        }

        var top10 = MosaicHttp.HitIds(await _http.SearchAsync(c, new JsonObject { ["mode"] = "hybrid", ["query"] = text, ["vector"] = Vector(query), ["top_k"] = 10 }));
        Assert.Equal(10, top10.Count);
        Assert.Equal(hybrid[0], top10[0]);
    }

    [Fact]
    public async Task Answer_HasTookMsShardReportCoverageAndPartial()
    {
        var c = await NewCollectionAsync("shape", 2, shards: 4);
        var token = await _http.UpsertAsync(c, "s1", Doc("shape of an answer", [1, 0]));
        foreach (var mode in new[] { "vector", "keyword", "hybrid" })
        {
            var answer = await _http.SearchAsync(c, new JsonObject
            {
                ["mode"] = mode,
                ["query"] = "answer",
                ["vector"] = Vector([1, 0]),
                ["consistency"] = new JsonObject { ["after"] = token },
            });
            Assert.Equal(["s1"], MosaicHttp.HitIds(answer));
            Assert.True(answer["took_ms"] is JsonValue tv && tv.GetValue<double>() >= 0, answer.ToJsonString());
            var shards = answer["shards"] as JsonObject;
            Assert.True(shards is not null, answer.ToJsonString());
            Assert.Equal(4, shards!["total"]!.GetValue<int>());
            Assert.Equal(4, shards["ok"]!.GetValue<int>());
            Assert.Equal(0, shards["failed"]!.GetValue<int>());
            Assert.Empty(shards["failures"]!.AsArray());
            Assert.Equal(1.0, answer["coverage"]!.GetValue<double>());
            Assert.False(answer["partial"]!.GetValue<bool>());
        }
    }

    [Fact]
    public async Task Include_ReturnsTextAndFields()
    {
        var c = await NewCollectionAsync("incl", 2);
        var token = await _http.UpsertAsync(c, "i1", Doc("included text body", [1, 0], new JsonObject { ["category"] = "books" }));
        var answer = await _http.SearchAsync(c, new JsonObject
        {
            ["mode"] = "keyword",
            ["query"] = "included",
            ["include"] = Array("text", "fields"),
            ["consistency"] = new JsonObject { ["after"] = token },
        });
        var hit = answer["hits"]!.AsArray().Single()!;
        Assert.Equal("i1", hit["id"]!.GetValue<string>());
        Assert.Equal("included text body", hit["text"]!.GetValue<string>());
        Assert.Equal("books", hit["fields"]!["category"]!.GetValue<string>());
    }

    [Fact]
    public async Task Batch_AnswersEachSearchLikeASingleSearch()
    {
        var c = await NewCollectionAsync("batch", 2, shards: 2);
        var (_, token) = await _http.BulkOkAsync(c, Enumerable.Range(0, 20).Select(i => Line(Doc(i % 2 == 0 ? $"even word {i}" : $"odd word {i}", [1, i / 20f], id: $"t{i}"))));
        var searches = new[]
        {
            new JsonObject { ["mode"] = "keyword", ["query"] = "even", ["top_k"] = 5, ["consistency"] = new JsonObject { ["after"] = token } },
            new JsonObject { ["mode"] = "vector", ["vector"] = Vector([0.2f, 1f]), ["top_k"] = 3, ["consistency"] = new JsonObject { ["after"] = token } },
            new JsonObject { ["mode"] = "hybrid", ["query"] = "odd", ["vector"] = Vector([1f, 0f]), ["top_k"] = 4, ["consistency"] = new JsonObject { ["after"] = token } },
        };

        var batch = (await _http.PostAsync($"collections/{c}/search:batch", new JsonObject { ["searches"] = new JsonArray([.. searches.Select(s => s.DeepClone())]) }))
            .AssertStatus(HttpStatusCode.OK).Object;
        var results = batch["results"]!.AsArray();
        Assert.Equal(searches.Length, results.Count);
        for (var i = 0; i < searches.Length; i++)
        {
            var single = await _http.SearchAsync(c, searches[i].DeepClone());
            Assert.Equal(MosaicHttp.HitIds(single), MosaicHttp.HitIds(results[i]!.AsObject()));
            Assert.Equal(searches[i]["top_k"]!.GetValue<int>(), MosaicHttp.HitIds(results[i]!.AsObject()).Count);
        }
    }

    [Fact]
    public async Task Batch_WithABadSearch_Returns400NamingIt()
    {
        var c = await NewCollectionAsync("batchbad", 2);
        var body = new JsonObject
        {
            ["searches"] = Array(
                new JsonObject { ["mode"] = "keyword", ["query"] = "fine" },
                new JsonObject { ["mode"] = "keyword", ["query"] = "fine", ["top_k"] = 0 }),
        };
        (await _http.PostAsync($"collections/{c}/search:batch", body)).AssertError(HttpStatusCode.BadRequest, "top_k");
    }

    internal static void AssertDescending(IReadOnlyList<double> scores)
    {
        for (var i = 1; i < scores.Count; i++)
        {
            Assert.True(scores[i - 1] >= scores[i], $"scores not descending at {i}: {string.Join(", ", scores)}");
        }
    }
}
