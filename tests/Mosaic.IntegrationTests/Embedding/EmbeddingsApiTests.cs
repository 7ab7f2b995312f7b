using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;

namespace Mosaic.IntegrationTests.Embedding;

/// <summary>POST /v1/embeddings and GET /v1/models as OpenAI clients use them, and the properties of the vectors.</summary>
[Collection(EmbeddingCollection.Name)]
public sealed class EmbeddingsApiTests(EmbeddingServerFixture fixture)
{
    private MosaicHttp Http => fixture.Http;

    [Fact]
    public async Task Vectors_match_sentence_transformers_published_outputs()
    {
        // all-MiniLM-L6-v2's first five values for these texts as sentence-transformers computes them (model card example,
        // and fastembed's canonical test vector); 1e-3 is the tolerance those projects use.
        var vectors = await fixture.EmbedAsync("This is an example sentence", "hello world");
        Assert.Equal([0.0677, 0.0635, 0.0487, 0.0793, 0.0374], vectors[0].Take(5).Select(v => Math.Round(v, 4)), new Near(1e-3));
        Assert.Equal([-0.0345, 0.0310, 0.0067, 0.0261, -0.0394], vectors[1].Take(5).Select(v => Math.Round(v, 4)), new Near(1e-3));
    }

    [Fact]
    public async Task Vectors_are_unit_length_deterministic_and_batch_equals_one_at_a_time()
    {
        string[] texts =
        [
            "The cat sat on the mat.",
            "A very much longer sentence about distributed search engines, replicas, shards, and the way queries fan out to them.",
            "Ünïcödé áccents are stripped: café, naïve, Ångström.",
            "x",
        ];
        var batch = await fixture.EmbedAsync(texts);
        var again = await fixture.EmbedAsync(texts);
        for (int i = 0; i < texts.Length; i++)
        {
            var single = (await fixture.EmbedAsync(texts[i]))[0];
            Assert.Equal(384, batch[i].Length);
            Assert.Equal(1.0, Math.Sqrt(EmbeddingServerFixture.Dot(batch[i], batch[i])), 4);
            Assert.Equal(batch[i], again[i]);
            // Padding in a batch changes float rounding only.
            Assert.True(EmbeddingServerFixture.Dot(batch[i], single) > 0.99999, $"text {i}: batch and single differ");
        }
    }

    [Fact]
    public async Task Accents_and_case_do_not_change_the_vector_but_meaning_does()
    {
        var v = await fixture.EmbedAsync("Café crème at the Hôtel", "cafe creme at the hotel", "A glass of red wine in Paris", "Spreadsheet formulas for quarterly taxes");
        Assert.True(EmbeddingServerFixture.Dot(v[0], v[1]) > 0.9999, "accents and case are folded like bert-base-uncased does");

        var p = await fixture.EmbedAsync("How old are you?", "What is your age?", "The stock market fell sharply today.");
        Assert.True(EmbeddingServerFixture.Dot(p[0], p[1]) > EmbeddingServerFixture.Dot(p[0], p[2]) + 0.3, "paraphrases are closer than unrelated texts");
        Assert.True(EmbeddingServerFixture.Dot(v[0], v[2]) > EmbeddingServerFixture.Dot(v[0], v[3]), "a café is closer to wine in Paris than to taxes");
    }

    [Fact]
    public async Task Single_and_list_input_answer_the_OpenAI_shape_and_base64_is_little_endian_float32()
    {
        var single = await Http.PostAsync("v1/embeddings", new { model = "minilm", input = "Hello, world" });
        single.AssertStatus(HttpStatusCode.OK);
        var body = single.Object;
        Assert.Equal("list", body["object"]!.GetValue<string>());
        Assert.Equal("minilm", body["model"]!.GetValue<string>());
        var item = Assert.Single(body["data"]!.AsArray())!;
        Assert.Equal("embedding", item["object"]!.GetValue<string>());
        Assert.Equal(0, item["index"]!.GetValue<int>());
        Assert.Equal(384, item["embedding"]!.AsArray().Count);
        // [CLS] hello , world [SEP]
        Assert.Equal(5, body["usage"]!["prompt_tokens"]!.GetValue<int>());
        Assert.Equal(5, body["usage"]!["total_tokens"]!.GetValue<int>());

        string[] inputs = ["blue suede shoes", "red running shoes", "green hat"];
        var list = await Http.PostAsync("v1/embeddings", new { model = "minilm", input = inputs });
        list.AssertStatus(HttpStatusCode.OK);
        var floats = EmbeddingServerFixture.Vectors(list.Object);
        Assert.Equal([0, 1, 2], list.Object["data"]!.AsArray().Select(d => d!["index"]!.GetValue<int>()));

        var encoded = await Http.PostAsync("v1/embeddings", new { model = "minilm", input = inputs, encoding_format = "base64" });
        encoded.AssertStatus(HttpStatusCode.OK);
        var decoded = encoded.Object["data"]!.AsArray()
            .Select(d => MemoryMarshal.Cast<byte, float>(Convert.FromBase64String(d!["embedding"]!.GetValue<string>())).ToArray()).ToList();
        Assert.Equal(3, decoded.Count);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(384, decoded[i].Length);
            Assert.True(EmbeddingServerFixture.Dot(floats[i], decoded[i]) > 0.99999);
        }

        var models = await Http.GetAsync("v1/models");
        models.AssertStatus(HttpStatusCode.OK);
        Assert.Equal("list", models.Object["object"]!.GetValue<string>());
        Assert.Contains("minilm", models.Object["data"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Text_past_the_256_token_window_is_truncated_to_it_as_sentence_transformers_does()
    {
        // all-MiniLM-L6-v2's max_seq_length is 256 (its model card; SentenceTransformer.encode cuts there): [CLS], the
        // first 254 word pieces, [SEP].
        string longText = string.Join(' ', Enumerable.Range(0, 800).Select(i => i % 3 == 0 ? "search" : i % 3 == 1 ? "engine" : "shard"));
        var r = await Http.PostAsync("v1/embeddings", new { model = "minilm", input = longText });
        r.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(256, r.Object["usage"]!["prompt_tokens"]!.GetValue<int>());

        // Every word is one word piece, so the first 254 words are exactly what is kept.
        string prefix = string.Join(' ', longText.Split(' ').Take(254));
        var whole = await Http.PostAsync("v1/embeddings", new { model = "minilm", input = prefix });
        Assert.Equal(256, whole.Object["usage"]!["prompt_tokens"]!.GetValue<int>());
        var v = await fixture.EmbedAsync(longText, prefix);
        Assert.True(EmbeddingServerFixture.Dot(v[0], v[1]) > 0.99999, "only the first 254 word pieces count");
    }

    [Fact]
    public async Task Bad_embedding_requests_get_400_naming_the_field()
    {
        (await Http.PostAsync("v1/embeddings", new { model = "nope", input = "x" })).AssertError(HttpStatusCode.BadRequest, "model");
        (await Http.PostAsync("v1/embeddings", new { input = "x" })).AssertError(HttpStatusCode.BadRequest, "model");
        (await Http.PostAsync("v1/embeddings", new { model = "minilm" })).AssertError(HttpStatusCode.BadRequest, "input");
        (await Http.PostAsync("v1/embeddings", new { model = "minilm", input = Array.Empty<string>() })).AssertError(HttpStatusCode.BadRequest, "input");
        (await Http.PostAsync("v1/embeddings", new JsonObject { ["model"] = "minilm", ["input"] = new JsonArray(1, 2, 3) })).AssertError(HttpStatusCode.BadRequest, "input[0]");
        (await Http.PostAsync("v1/embeddings", new { model = "minilm", input = "x", encoding_format = "int8" })).AssertError(HttpStatusCode.BadRequest, "encoding_format");
        (await Http.PostAsync("v1/embeddings", new { model = "minilm", input = "x", dimensions = 128 })).AssertError(HttpStatusCode.BadRequest, "dimensions");
        (await Http.PostAsync("v1/embeddings", "{\"model\": \"minilm\", \"input\": ")).AssertError(HttpStatusCode.BadRequest);
    }

    private sealed class Near(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double obj) => 0;
    }
}
