using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary>
/// Pages of results (<c>offset</c>): in every mode the pages of a search, put end to end, are the hits of one search as
/// deep as they reach, with the same scores and payloads (hybrid pages with one fusion window); past the last hit a page
/// is empty; too deep is a 400. <c>min_score</c> leaves out lower hits before the page is cut.
/// </summary>
public sealed class SearchPagesTests : ServeProcessTest
{
    private const string C = "paged";
    private static readonly string[] Words = ["north", "south", "east", "west", "river", "hill"];

    public SearchPagesTests()
        : base("mosaic-search-pages")
    {
    }

    [Fact]
    public async Task Pages_end_to_end_are_one_deeper_search_in_every_mode()
    {
        var random = new Random(77);
        await Http.CreateCollectionAsync(C, new JsonObject { ["dimension"] = 3, ["metric"] = "l2", ["shards"] = 3, ["fields"] = new JsonObject { ["n"] = "number" } });
        var (_, token) = await Http.BulkOkAsync(C, Enumerable.Range(0, 50).Select(i => Line(Doc(
            string.Join(' ', Enumerable.Range(0, 1 + random.Next(5)).Select(_ => Words[random.Next(Words.Length)])),
            [(float)random.NextDouble(), (float)random.NextDouble(), (float)random.NextDouble()],
            new JsonObject { ["n"] = i },
            id: $"p{i:D2}"))));

        foreach (var mode in new[] { "vector", "keyword", "hybrid" })
        {
            JsonObject Search(int topK, int? offset) => new()
            {
                ["mode"] = mode,
                ["vector"] = Vector([0.5f, 0.5f, 0.5f]),
                ["query"] = "river hill",
                ["top_k"] = topK,
                ["offset"] = offset,
                ["include"] = Array("fields"),
                ["consistency"] = new JsonObject { ["after"] = token },
                // Hybrid pages line up when every page fuses lists of the same depth: one window for all of them.
                ["fusion"] = mode == "hybrid" ? new JsonObject { ["window"] = 21 } : null,
            };

            var whole = (await Http.SearchAsync(C, Search(21, null)))["hits"]!.AsArray();
            Assert.True(whole.Count >= 15, $"{mode}: {whole.Count} hits, the test needs more than two pages");
            var paged = new List<JsonNode>();
            for (int offset = 0; offset < 21; offset += 7)
            {
                paged.AddRange((await Http.SearchAsync(C, Search(7, offset)))["hits"]!.AsArray().Select(h => h!.DeepClone()));
            }

            Assert.Equal(whole.Select(h => h!.ToJsonString()), paged.Select(h => h.ToJsonString()));
            var beyond = Search(5, 60);
            beyond.Remove("fusion"); // a window must reach the page: 21 does not reach 65
            Assert.Empty((await Http.SearchAsync(C, beyond))["hits"]!.AsArray());
        }

        // min_score leaves out the hits below it, before the page is cut; in every mode, on the mode's own score.
        foreach (var mode in new[] { "vector", "keyword", "hybrid" })
        {
            JsonObject Search(int topK, int offset, double? minScore) => new()
            {
                ["mode"] = mode, ["vector"] = Vector([0.5f, 0.5f, 0.5f]), ["query"] = "river hill", ["top_k"] = topK, ["offset"] = offset,
                ["min_score"] = minScore, ["include"] = new JsonArray(), ["consistency"] = new JsonObject { ["after"] = token },
                ["fusion"] = mode == "hybrid" ? new JsonObject { ["window"] = 20 } : null,
            };

            var all = await Http.SearchAsync(C, Search(20, 0, null));
            var scores = MosaicHttp.HitScores(all);
            double threshold = scores[8];
            int kept = scores.Count(x => x >= threshold);
            var cut = await Http.SearchAsync(C, Search(20, 0, threshold));
            Assert.Equal(MosaicHttp.HitIds(all).Take(kept), MosaicHttp.HitIds(cut));
            Assert.All(MosaicHttp.HitScores(cut), x => Assert.True(x >= threshold, $"{mode}: {x} < min_score {threshold}"));
            var secondPage = await Http.SearchAsync(C, Search(5, 5, threshold));
            Assert.Equal(MosaicHttp.HitIds(all).Take(kept).Skip(5).Take(5), MosaicHttp.HitIds(secondPage));
        }

        (await Http.PostAsync($"collections/{C}/search", new { vector = new[] { 0f, 0f, 0f }, min_score = "high" })).AssertError(HttpStatusCode.BadRequest, "min_score");
        (await Http.PostAsync($"collections/{C}/search", new { vector = new[] { 0f, 0f, 0f }, top_k = 10, offset = -1 })).AssertError(HttpStatusCode.BadRequest, "offset");
        (await Http.PostAsync($"collections/{C}/search", new { vector = new[] { 0f, 0f, 0f }, top_k = 10, offset = 991 })).AssertError(HttpStatusCode.BadRequest, "offset");
        (await Http.PostAsync($"collections/{C}/search", new { vector = new[] { 0f, 0f, 0f }, top_k = 10, offset = 990 })).AssertStatus(HttpStatusCode.OK);
    }
}
