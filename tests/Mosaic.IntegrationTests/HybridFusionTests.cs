using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary>
/// A hybrid search's fusion is tunable (<c>fusion: {k, vector_weight, keyword_weight, window}</c>): its answer is the
/// weighted reciprocal rank fusion of the vector and keyword lists that the same server gives for each mode alone,
/// computed here from those answers; bad settings are 400s naming the field.
/// </summary>
public sealed class HybridFusionTests : ServeProcessTest
{
    private const string C = "fused";
    private const int Docs = 60;
    private static readonly string[] Words = ["alpha", "beta", "gamma", "delta", "omega", "sigma"];

    public HybridFusionTests()
        : base("mosaic-hybrid-fusion")
    {
    }

    [Fact]
    public async Task Hybrid_answers_are_the_weighted_rrf_of_the_two_lists_at_the_window_depth()
    {
        var random = new Random(4242);
        await Http.CreateCollectionAsync(C, new JsonObject { ["dimension"] = 4, ["metric"] = "cosine", ["shards"] = 2 });
        var lines = Enumerable.Range(0, Docs).Select(i =>
        {
            var text = string.Join(' ', Enumerable.Range(0, 2 + random.Next(6)).Select(_ => Words[random.Next(Words.Length)]));
            float[] vector = [(float)random.NextDouble(), (float)random.NextDouble(), (float)random.NextDouble() - 0.5f, 0.1f];
            return Line(Doc(text, vector, id: $"d{i:D2}"));
        });
        var (_, token) = await Http.BulkOkAsync(C, lines);
        float[] query = [0.9f, 0.2f, 0.1f, 0.1f];
        const string Text = "alpha omega";
        const int TopK = 6;

        var answers = new List<List<string>>();
        foreach (var fusion in new JsonObject?[]
        {
            null,
            new() { ["k"] = 60 },
            new() { ["k"] = 5, ["vector_weight"] = 2, ["keyword_weight"] = 0.5, ["window"] = 30 },
            new() { ["k"] = 1, ["vector_weight"] = 0.25, ["keyword_weight"] = 3, ["window"] = 12 },
            new() { ["keyword_weight"] = 0 },
            new() { ["vector_weight"] = 0, ["window"] = 20 },
        })
        {
            int k = fusion?["k"]?.GetValue<int>() ?? 60;
            double vectorWeight = Number(fusion?["vector_weight"]), keywordWeight = Number(fusion?["keyword_weight"]);
            int depth = Math.Max(TopK, fusion?["window"]?.GetValue<int>() ?? TopK);
            var vectorList = MosaicHttp.HitIds(await SearchAsync(new JsonObject { ["mode"] = "vector", ["vector"] = Vector(query), ["top_k"] = depth }, token));
            var keywordList = MosaicHttp.HitIds(await SearchAsync(new JsonObject { ["mode"] = "keyword", ["query"] = Text, ["top_k"] = depth }, token));
            var expected = Fuse((vectorList, vectorWeight), (keywordList, keywordWeight), k).Take(TopK).ToList();

            var search = new JsonObject { ["mode"] = "hybrid", ["vector"] = Vector(query), ["query"] = Text, ["top_k"] = TopK, ["fusion"] = fusion?.DeepClone() };
            var hybrid = await SearchAsync(search, token);
            string what = $"fusion {fusion?.ToJsonString() ?? "(default)"}";
            Assert.True(expected.Select(e => e.Id).SequenceEqual(MosaicHttp.HitIds(hybrid)), $"{what}: expected {string.Join(',', expected.Select(e => e.Id))}, got {string.Join(',', MosaicHttp.HitIds(hybrid))}");
            foreach (var (want, got) in expected.Select(e => e.Score).Zip(MosaicHttp.HitScores(hybrid)))
            {
                Assert.True(Math.Abs(want - got) <= 1e-6 * want, $"{what}: score {got}, expected {want}");
            }

            answers.Add(MosaicHttp.HitIds(hybrid));
        }

        // The settings change the answer (the result cache keys on them too): default and k 60 agree, the others do not all.
        Assert.Equal(answers[0], answers[1]);
        Assert.True(answers.Skip(2).Count(a => !a.SequenceEqual(answers[0])) >= 2, "weights and windows should reorder the fused answer");
    }

    [Theory]
    [InlineData("vector", """{"k": 10}""", "fusion")]
    [InlineData("hybrid", """{"k": 0}""", "fusion.k")]
    [InlineData("hybrid", """{"vector_weight": -1}""", "fusion.vector_weight")]
    [InlineData("hybrid", """{"keyword_weight": 1e9}""", "fusion.keyword_weight")]
    [InlineData("hybrid", """{"vector_weight": 0, "keyword_weight": 0}""", "cannot both be 0")]
    [InlineData("hybrid", """{"window": 0}""", "fusion.window")]
    [InlineData("hybrid", """{"window": 1001}""", "fusion.window")]
    [InlineData("hybrid", """{"window": 5}""", "at least offset + top_k")]
    [InlineData("hybrid", """{"alpha": 0.5}""", "alpha")]
    [InlineData("hybrid", """{"k": "sixty"}""", "k")]
    public async Task Bad_fusion_settings_are_a_400_naming_the_field(string mode, string fusion, string mentions)
    {
        await Http.CreateCollectionAsync(C, new JsonObject { ["dimension"] = 4, ["metric"] = "cosine" });
        await Http.BulkOkAsync(C, [Line(Doc("alpha beta", [1, 0, 0, 0], id: "a"))]);
        var search = new JsonObject { ["mode"] = mode, ["vector"] = Vector([1, 0, 0, 0]), ["query"] = "alpha", ["top_k"] = 10, ["fusion"] = JsonNode.Parse(fusion) };
        (await Http.PostAsync($"collections/{C}/search", search)).AssertError(HttpStatusCode.BadRequest, mentions);
        // The same in a batch names the search.
        (await Http.PostAsync($"collections/{C}/search:batch", new JsonObject { ["searches"] = new JsonArray(search.DeepClone()) })).AssertError(HttpStatusCode.BadRequest, mentions);
    }

    private static double Number(JsonNode? node) => node is null ? 1 : double.Parse(node.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture);

    private async Task<JsonObject> SearchAsync(JsonObject search, string token)
    {
        search["include"] = new JsonArray();
        search["consistency"] = new JsonObject { ["after"] = token };
        return await Http.SearchAsync(C, search);
    }

    /// <summary>Weighted RRF written out: Σ w / (k + rank) over the lists of non-zero weight, then by score and id.</summary>
    private static List<(string Id, double Score)> Fuse((List<string> Ids, double Weight) vector, (List<string> Ids, double Weight) keyword, int k)
    {
        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (ids, weight) in new[] { vector, keyword })
        {
            for (int rank = 0; rank < ids.Count && weight > 0; rank++)
            {
                scores[ids[rank]] = scores.GetValueOrDefault(ids[rank]) + (weight / (k + rank + 1));
            }
        }

        return scores.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value)).ToList();
    }
}
