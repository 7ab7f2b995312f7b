using System.Net;
using Mosaic.Testing;
using Xunit;

namespace Mosaic.IntegrationTests.Embedding;

/// <summary>Mosaic:Embedder:Url pointing at an endpoint that does not answer: writes that need a vector fail cleanly, the rest works.</summary>
public sealed class EmbedderDownTests
{
    [Fact]
    public async Task Writes_needing_a_vector_get_503_with_Retry_After_and_nothing_is_written_while_vectors_given_keep_working()
    {
        // A port nobody listens on: connections are refused at once.
        await using var server = await MosaicServer.StartAsync(new Dictionary<string, string?>
        {
            ["Mosaic:Embedder:Url"] = $"http://127.0.0.1:{FreePort.Next()}/v1",
        });
        var http = server.Http;
        string name = Names.Unique("embedder-down");
        await http.CreateCollectionAsync(name, new { embed = new { model = "minilm" }, shards = 2 });

        var one = await http.PutAsync($"collections/{name}/docs/t1", new { text = "needs an embedding" });
        one.AssertError(HttpStatusCode.ServiceUnavailable, "embedder");
        using (var raw = new HttpClient())
        {
            using var response = await raw.PutAsync($"{server.BaseUrl}/collections/{name}/docs/t1", new StringContent("{\"text\": \"needs an embedding\"}"));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
        }

        var bulk = await http.BulkAsync(name, [MosaicHttp.Line(new { id = "v1", text = "has a vector", vector = Unit(1) }), MosaicHttp.Line(new { id = "t2", text = "needs one" })]);
        bulk.AssertError(HttpStatusCode.ServiceUnavailable, "embedder");
        Assert.Equal(0, await http.DocCountAsync(name));
        (await http.GetAsync($"collections/{name}/docs/v1")).AssertStatus(HttpStatusCode.NotFound);

        var token = await http.UpsertAsync(name, "v2", new { text = "brings its own vector", vector = Unit(2) });
        var answer = await http.SearchAsync(name, new { vector = Unit(2), top_k = 1, consistency = new { after = token } });
        Assert.Equal(["v2"], MosaicHttp.HitIds(answer));
        var keyword = await http.SearchAsync(name, new { mode = "keyword", query = "vector", top_k = 1 });
        Assert.Equal(["v2"], MosaicHttp.HitIds(keyword));

        var semantic = await http.PostAsync($"collections/{name}/search", new { query = "needs the embedder" });
        semantic.AssertError(HttpStatusCode.ServiceUnavailable, "embedder");
        (await http.PostAsync("v1/embeddings", new { model = "minilm", input = "x" })).AssertError(HttpStatusCode.ServiceUnavailable, "embedder");
    }

    private static float[] Unit(int axis) => Enumerable.Range(0, 384).Select(i => i == axis ? 1f : 0f).ToArray();
}
