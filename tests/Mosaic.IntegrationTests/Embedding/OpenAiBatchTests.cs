using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;

namespace Mosaic.IntegrationTests.Embedding;

/// <summary>
/// <c>Mosaic:Embedder:Url</c> at an OpenAI-compatible endpoint that takes at most 2,048 inputs per request (as OpenAI
/// does): a bulk write of more documents than that is embedded in several requests of at most 2,048 texts, in order, and
/// every document gets the vector of its own text. Against a real <c>mosaic serve</c>.
/// </summary>
public sealed class OpenAiBatchTests : IAsyncLifetime
{
    private const int Documents = 2100;
    private readonly TempDirectory _dir = new("mosaic-openai-batches");
    private FakeOpenAiServer _openAi = null!;
    private MosaicProcess _server = null!;
    private MosaicHttp _http = null!;

    public async Task InitializeAsync()
    {
        _openAi = await FakeOpenAiServer.StartAsync();
        _server = await MosaicProcess.StartServeAsync(_dir.Combine("data"), _dir.Combine("serve.log"), null, $"--Mosaic:Embedder:Url={_openAi.BaseUrl}");
        _http = new MosaicHttp(_server.BaseUrl, TimeSpan.FromSeconds(120));
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        await _openAi.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task A_bulk_of_more_texts_than_one_request_takes_is_embedded_in_requests_of_at_most_2048_in_order()
    {
        var c = Names.Unique("openai");
        await _http.CreateCollectionAsync(c, new JsonObject { ["embed"] = new JsonObject { ["model"] = "minilm" } });
        var texts = Enumerable.Range(0, Documents).Select(i => $"document number {i}").ToList();

        var (written, _) = await _http.BulkOkAsync(c, texts.Select((t, i) => MosaicHttp.Line(new { id = $"d{i}", text = t })));

        Assert.Equal(Documents, written);
        var sizes = _openAi.Requests.Select(r => r.Count).ToList();
        Assert.True(sizes.All(n => n <= FakeOpenAiServer.MaxInputs), $"a request had more than {FakeOpenAiServer.MaxInputs} inputs: [{string.Join(", ", sizes)}]");
        Assert.Equal([2048, Documents - 2048], sizes);
        Assert.Equal(texts, _openAi.Requests.SelectMany(r => r));
        foreach (int i in new[] { 0, 2047, 2048, Documents - 1 })
        {
            var doc = (await _http.GetAsync($"collections/{c}/docs/d{i}")).AssertStatus(HttpStatusCode.OK).Object;
            var stored = doc["vector"]!.AsArray().Select(x => x!.GetValue<float>()).ToArray();
            var expected = FakeOpenAiServer.VectorOf(texts[i]);
            float norm = MathF.Sqrt(expected.Sum(x => x * x));
            Assert.Equal(expected.Select(x => x / norm), stored, (a, b) => MathF.Abs(a - b) < 1e-5f);
        }
    }
}
