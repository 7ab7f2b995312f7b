using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary>
/// An answer is bounded (Mosaic:Coordinator:MaxAnswerBytes): a search or a batch whose documents would pass it is a 400
/// naming the limit and the ways to ask for less, instead of holding it all in memory (a batch of 20 searches x top_k 200
/// x 100 KB texts took a server from 0.6 to 2.2 GB); answers under it are whole.
/// </summary>
public sealed class AnswerSizeTests : ServeProcessTest
{
    private const string C = "big";
    private const int TextChars = 50_000;

    public AnswerSizeTests()
        : base("mosaic-answer-size", "--Mosaic:Coordinator:MaxAnswerBytes=300000", "--Mosaic:Coordinator:MaxDocumentBytes=100000")
    {
    }

    [Fact]
    public async Task Answers_past_the_limit_are_a_400_naming_it_and_answers_under_it_are_whole()
    {
        await Http.CreateCollectionAsync(C, new JsonObject { ["dimension"] = 4, ["metric"] = "cosine", ["shards"] = 2 });
        var docs = Enumerable.Range(0, 10).Select(i => Line(Doc(new string((char)('a' + i), TextChars), [1, i, 0.5f, 0.25f], id: $"d{i}")));
        await Http.BulkOkAsync(C, docs);
        await Wait.WaitUntilAsync(async () => await Http.DocCountAsync(C) == 10, TimeSpan.FromSeconds(30), "10 documents");
        object Search(int topK, params string[] include) => new { vector = new[] { 1f, 1f, 0.5f, 0.25f }, top_k = topK, include };

        // 10 texts of 50,000 characters: 500 KB, past 300 KB.
        (await Http.PostAsync($"collections/{C}/search", Search(10, "text"))).AssertError(HttpStatusCode.BadRequest, "300000").AssertError(HttpStatusCode.BadRequest, "top_k");

        var four = await Http.PostAsync($"collections/{C}/search", Search(4, "text"));
        four.AssertStatus(HttpStatusCode.OK);
        var hits = four.Object["hits"]!.AsArray();
        Assert.Equal(4, hits.Count);
        Assert.All(hits, h => Assert.Equal(TextChars, h!["text"]!.GetValue<string>().Length));

        // The same ten without their texts are small.
        var ids = await Http.PostAsync($"collections/{C}/search", Search(10));
        ids.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(10, ids.Object["hits"]!.AsArray().Count);

        // A batch counts all its answers: two of 200 KB pass the limit together, one does not.
        var batch = await Http.PostAsync($"collections/{C}/search:batch", new { searches = new[] { Search(4, "text"), Search(4, "text") } });
        batch.AssertError(HttpStatusCode.BadRequest, "300000");
        var one = await Http.PostAsync($"collections/{C}/search:batch", new { searches = new[] { Search(4, "text"), Search(10) } });
        one.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(2, one.Object["results"]!.AsArray().Count);
    }
}
