using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;

namespace Mosaic.IntegrationTests.Embedding;

/// <summary>
/// One large POST /v1/embeddings does not starve the others: a small embedding request and a semantic search sent while it
/// runs are served before it ends, and it still answers what it would have alone.
/// </summary>
/// <remarks>
/// A real <c>mosaic serve</c> process with the real model and its embedding cache off, so that every text is a model run
/// and /cluster's <c>model_texts</c> counts them. "Before it ends" is an ordering, read from that counter: when the small
/// request has its answer, fewer than the large request's texts have been through the model since it started. Queued
/// first-come-first-served, the small request's text came after all of the large one's.
/// </remarks>
public sealed class EmbeddingFairnessTests() : ServeProcessTest("mosaic-embed-fair", "--Mosaic:Embedder:CacheEntries=0", $"--Mosaic:Embedder:MaxRequestCharacters={Limit}")
{
    /// <summary>About 40 tokens each: 12 batches of 32, long enough to be in flight for a while, short enough for 2 cores.</summary>
    private const int LargeTexts = 384;

    private const int Limit = 150_000;

    private static readonly string[] Words = ["harbour", "violin", "library", "mountain", "bakery", "orchestra", "lighthouse", "vineyard", "railway", "museum", "market", "bridge"];

    [Fact]
    public async Task A_small_request_and_a_text_search_are_served_while_a_large_request_runs_and_the_large_answer_is_unchanged()
    {
        await Http.CreateCollectionAsync("fair", new { embed = new { model = "minilm" }, shards = 1 });
        await Http.UpsertAsync("fair", "lighthouse", new { text = "The lighthouse keeper climbed the stairs at dusk." });
        await Http.UpsertAsync("fair", "bread", new { text = "Fresh bread from the bakery on the corner." });

        var large = Enumerable.Range(0, LargeTexts).Select(LargeText).ToArray();
        Assert.True(large.Sum(t => t.Length) <= Limit, "the large request stays within the request limit");
        long before = await ModelTextsAsync();
        var largeCall = Http.PostAsync("v1/embeddings", new { model = "minilm", input = large });
        await Wait.WaitUntilAsync(async () => await ModelTextsAsync() > before, TimeSpan.FromSeconds(30), "the large request's first batch ran");

        const string small = "a quiet evening by the sea";
        var smallAnswer = await Http.PostAsync("v1/embeddings", new { model = "minilm", input = small });
        long whenSmall = await ModelTextsAsync() - before;
        smallAnswer.AssertStatus(HttpStatusCode.OK);
        Assert.True(whenSmall < LargeTexts, $"the small request was answered after {whenSmall} texts had run: it waited for all {LargeTexts} of the large one");

        var search = await Http.SearchAsync("fair", new { mode = "vector", query = "who keeps the light on the coast", top_k = 1, timeout_ms = 60_000 });
        long whenSearch = await ModelTextsAsync() - before;
        Assert.Equal(["lighthouse"], MosaicHttp.HitIds(search));
        Assert.True(whenSearch < LargeTexts, $"the search was answered after {whenSearch} texts had run: it waited for all {LargeTexts} of the large one");
        Assert.False(largeCall.IsCompleted, "the large request is still running: the orderings above are not a matter of it having finished");

        var largeAnswer = (await largeCall).AssertStatus(HttpStatusCode.OK);
        var vectors = EmbeddingServerFixture.Vectors(largeAnswer.Object);
        Assert.Equal(LargeTexts, vectors.Count);

        // Shared batches change float rounding only: every sampled vector is the one its text gets alone, in its place.
        int[] sample = [0, 1, 31, 32, 33, 100, 200, 255, 256, LargeTexts - 1];
        var alone = EmbeddingServerFixture.Vectors((await Http.PostAsync("v1/embeddings", new { model = "minilm", input = sample.Select(i => large[i]).ToArray() })).AssertStatus(HttpStatusCode.OK).Object);
        for (int k = 0; k < sample.Length; k++)
        {
            Assert.True(EmbeddingServerFixture.Dot(vectors[sample[k]], alone[k]) > 0.99999, $"text {sample[k]} of the large request differs from the same text embedded alone");
        }

        var smallAlone = EmbeddingServerFixture.Vectors((await Http.PostAsync("v1/embeddings", new { model = "minilm", input = small })).AssertStatus(HttpStatusCode.OK).Object)[0];
        Assert.True(EmbeddingServerFixture.Dot(EmbeddingServerFixture.Vectors(smallAnswer.Object)[0], smallAlone) > 0.99999, "the small request got its own vector");
        Assert.All(vectors, v => Assert.True(EmbeddingServerFixture.Dot(v, smallAlone) < 0.999, "the large request got the small one's vector"));
    }

    [Fact]
    public async Task A_request_over_the_character_limit_gets_413_naming_it_and_nothing_runs()
    {
        long before = await ModelTextsAsync();
        var over = Enumerable.Range(0, 3).Select(i => LongText(i, (Limit / 3) + 1)).ToArray();
        (await Http.PostAsync("v1/embeddings", new { model = "minilm", input = over }))
            .AssertError(HttpStatusCode.RequestEntityTooLarge, "MaxRequestCharacters")
            .AssertError(HttpStatusCode.RequestEntityTooLarge, Limit.ToString(System.Globalization.CultureInfo.InvariantCulture));
        (await Http.PostAsync("v1/embeddings", new { model = "minilm", input = Enumerable.Repeat("x", 2049).ToArray() }))
            .AssertError(HttpStatusCode.BadRequest, "input");
        Assert.Equal(before, await ModelTextsAsync());

        // Exactly at the limit is accepted (each text is cut to the model's window), and the server serves on as before.
        var at = Enumerable.Range(0, 3).Select(i => LongText(i, Limit / 3)).ToArray();
        var atAnswer = (await Http.PostAsync("v1/embeddings", new { model = "minilm", input = at })).AssertStatus(HttpStatusCode.OK);
        Assert.Equal(3, atAnswer.Object["data"]!.AsArray().Count);
        (await Http.PostAsync("v1/embeddings", new { model = "minilm", input = "still here" })).AssertStatus(HttpStatusCode.OK);
        Assert.Equal(before + 4, await ModelTextsAsync());
    }

    private static string LargeText(int i) =>
        $"Entry {i}: " + string.Join(' ', Enumerable.Range(0, 12).Select(j => Words[(i + (j * 7)) % Words.Length] + ((i * 31) + j).ToString(System.Globalization.CultureInfo.InvariantCulture)));

    private static string LongText(int i, int characters)
    {
        var text = string.Concat(Enumerable.Range(0, (characters / 8) + 1).Select(j => Words[(i + j) % Words.Length][..3] + " abcd "));
        return text.PadRight(characters)[..characters];
    }

    private async Task<long> ModelTextsAsync()
    {
        var r = (await Http.GetAsync("cluster")).AssertStatus(HttpStatusCode.OK);
        return (r.Object["embedding"] as JsonObject ?? throw new Xunit.Sdk.XunitException($"/cluster has no embedding counters: {r.Describe()}"))["model_texts"]!.GetValue<long>();
    }
}
