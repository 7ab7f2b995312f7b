using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;

namespace Mosaic.IntegrationTests.Embedding;

/// <summary>Collections with <c>"embed": {"model": "minilm"}</c>: text in, meaning out, through the HTTP API.</summary>
[Collection(EmbeddingCollection.Name)]
public sealed class SemanticSearchTests(EmbeddingServerFixture fixture)
{
    private static readonly (string Id, string Text)[] Corpus =
    [
        ("shoes", "Blue suede shoes with leather soles, hand-stitched in Italy."),
        ("cake", "Preheat the oven, then fold the melted chocolate into the batter and bake for forty minutes."),
        ("tire", "Loosen the lug nuts before you jack up the car, then swap in the spare wheel."),
        ("flight", "The airline cancelled every departure from the airport because of the snowstorm."),
        ("vet", "Our veterinarian vaccinated the puppy and trimmed its claws."),
        ("loan", "The bank approved the mortgage at a fixed interest rate for thirty years."),
        ("python", "Indentation defines code blocks in this programming language, and lists are created with square brackets."),
        ("garden", "Water the tomato plants every morning and pull the weeds between the rows."),
        ("gym", "Lifting weights three times a week builds muscle and strengthens bones."),
        ("rain", "Heavy showers and thunder are expected across the region tomorrow afternoon."),
    ];

    // Each paraphrase shares no word with any document (not even "a" or "the"), so keyword search cannot find it.
    private static readonly (string Query, string Target)[] Paraphrases =
    [
        ("comfortable footwear", "shoes"),
        ("sweet pastry dessert", "cake"),
        ("fixing flat tyre", "tire"),
        ("planes grounded by winter weather", "flight"),
        ("animal doctor visit", "vet"),
        ("home purchase financing", "loan"),
        ("workout routine", "gym"),
        ("storm forecast", "rain"),
        ("growing vegetables", "garden"),
        ("coding syntax", "python"),
    ];

    private MosaicHttp Http => fixture.Http;

    [Fact]
    public async Task Paraphrases_find_their_targets_first_where_keyword_search_finds_nothing_right()
    {
        string name = await LoadCorpusAsync("paraphrase");
        foreach (var (query, target) in Paraphrases)
        {
            var keyword = MosaicHttp.HitIds(await Http.SearchAsync(name, new { mode = "keyword", query, top_k = 3 }));
            Assert.DoesNotContain(target, keyword);

            var semantic = MosaicHttp.HitIds(await Http.SearchAsync(name, new { mode = "vector", query, top_k = 3 }));
            Assert.True(semantic.Count > 0 && semantic[0] == target, $"'{query}': expected '{target}' first, got [{string.Join(", ", semantic)}]");
        }
    }

    [Fact]
    public async Task Query_alone_on_an_embed_collection_is_a_hybrid_search()
    {
        string name = await LoadCorpusAsync("implied-hybrid");
        const string query = "bake a chocolate cake at home";
        var implied = await Http.SearchAsync(name, new { query, top_k = 5 });
        var hybrid = await Http.SearchAsync(name, new { mode = "hybrid", query, top_k = 5 });
        var keyword = await Http.SearchAsync(name, new { mode = "keyword", query, top_k = 5 });

        Assert.Equal(MosaicHttp.HitIds(hybrid), MosaicHttp.HitIds(implied));
        Assert.Equal(MosaicHttp.HitScores(hybrid), MosaicHttp.HitScores(implied));
        Assert.NotEqual(MosaicHttp.HitIds(keyword), MosaicHttp.HitIds(implied));
        Assert.Equal("cake", MosaicHttp.HitIds(implied)[0]);
    }

    [Fact]
    public async Task Stored_vector_is_the_embedding_of_the_text_and_a_given_vector_is_kept()
    {
        string name = Names.Unique("stored-vector");
        await Http.CreateCollectionAsync(name, new { embed = new { model = "minilm" }, shards = 1 });
        const string text = "A lighthouse guides ships past the rocks at night.";
        await Http.UpsertAsync(name, "computed", new { text });
        var own = Enumerable.Range(0, 384).Select(i => i == 7 ? 1f : 0f).ToArray();
        await Http.UpsertAsync(name, "given", new { text, vector = own });

        var computed = Vector(await Http.GetAsync($"collections/{name}/docs/computed"));
        var expected = (await fixture.EmbedAsync(text))[0];
        Assert.Equal(384, computed.Length);
        Assert.True(EmbeddingServerFixture.Dot(computed, expected) > 0.9999, "the stored vector is the text's embedding");
        Assert.Equal(own, Vector(await Http.GetAsync($"collections/{name}/docs/given")));
    }

    [Fact]
    public async Task Bulk_text_only_ingest_embeds_every_document()
    {
        string name = Names.Unique("bulk-embed");
        await Http.CreateCollectionAsync(name, new { embed = new { model = "minilm" }, shards = 2 });
        var lines = Corpus.Select(d => MosaicHttp.Line(new { id = d.Id, text = d.Text }));
        var (written, token) = await Http.BulkOkAsync(name, lines);
        Assert.Equal(Corpus.Length, written);

        var answer = await Http.SearchAsync(name, new { mode = "vector", query = "thunderstorms forecast", top_k = 1, consistency = new { after = token } });
        Assert.Equal(["rain"], MosaicHttp.HitIds(answer));
        var collection = await Http.GetAsync($"collections/{name}");
        Assert.Equal(Corpus.Length, collection.Object["shard_stats"]!.AsArray().Sum(s => s!["vector_count"]!.GetValue<long>()));
    }

    [Fact]
    public async Task Bad_embed_settings_and_documents_get_400_naming_the_field()
    {
        var unknown = await Http.PutAsync($"collections/{Names.Unique("unknown-model")}", new { embed = new { model = "gpt-5" } });
        unknown.AssertError(HttpStatusCode.BadRequest, "invalid_argument", "embed.model");

        var missing = await Http.PutAsync($"collections/{Names.Unique("no-model")}", new JsonObject { ["embed"] = new JsonObject() });
        missing.AssertError(HttpStatusCode.BadRequest, "invalid_argument", "embed.model");

        var wrongDimension = await Http.PutAsync($"collections/{Names.Unique("wrong-dim")}", new { dimension = 768, embed = new { model = "minilm" } });
        wrongDimension.AssertError(HttpStatusCode.BadRequest, "invalid_argument", "dimension");

        string name = Names.Unique("bad-docs");
        var created = await Http.CreateCollectionAsync(name, new { embed = new { model = "minilm" } });
        Assert.Equal(384, created["dimension"]!.GetValue<int>());
        Assert.Equal("minilm", created["embed"]!["model"]!.GetValue<string>());

        var neither = await Http.PutAsync($"collections/{name}/docs/d1", new { fields = new { } });
        neither.AssertError(HttpStatusCode.BadRequest, "invalid_argument", "text");
        var blank = await Http.BulkAsync(name, [MosaicHttp.Line(new { id = "ok", text = "fine" }), MosaicHttp.Line(new { id = "d2", text = "  " })]);
        blank.AssertError(HttpStatusCode.BadRequest, "invalid_argument", "line 2");
        Assert.Equal(0, await Http.DocCountAsync(name));
    }

    [Fact]
    public async Task Query_text_past_4096_characters_is_a_400_naming_the_query_in_every_mode_not_a_missing_vector()
    {
        string name = Names.Unique("long-query");
        await Http.CreateCollectionAsync(name, new { embed = new { model = "minilm" } });
        foreach (var mode in new[] { "vector", "hybrid", "keyword", null })
        {
            var search = new JsonObject { ["query"] = new string('w', 4097) };
            if (mode is not null)
            {
                search["mode"] = mode;
            }

            var tooLong = await Http.PostAsync($"collections/{name}/search", search);
            tooLong.AssertError(HttpStatusCode.BadRequest, "query: at most 4096 characters, got 4097");
        }

        // At the limit the text is embedded (its first 254 word pieces), and a blank one names what is missing.
        await Http.SearchAsync(name, new { mode = "vector", query = new string('w', 4096) });
        var blank = await Http.PostAsync($"collections/{name}/search", new { mode = "vector", query = " " });
        blank.AssertError(HttpStatusCode.BadRequest, "needs a query vector, or query text for model 'minilm' to embed");
    }

    private async Task<string> LoadCorpusAsync(string prefix)
    {
        string name = Names.Unique(prefix);
        await Http.CreateCollectionAsync(name, new { embed = new { model = "minilm" }, shards = 2 });
        var (_, token) = await Http.BulkOkAsync(name, Corpus.Select(d => MosaicHttp.Line(new { id = d.Id, text = d.Text })));
        // Read-your-writes once, so every search after this sees the whole corpus.
        await Http.SearchAsync(name, new { mode = "keyword", query = "car", consistency = new { after = token } });
        return name;
    }

    private static float[] Vector(ApiResponse r)
    {
        r.AssertStatus(HttpStatusCode.OK);
        return r.Object["vector"]!.AsArray().Select(x => x!.GetValue<float>()).ToArray();
    }
}
