using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;

namespace Mosaic.IntegrationTests.Embedding;

/// <summary>
/// One embedded server with the in-process model, shared by the embedding test classes (the model loads once, slowly
/// on 2 cores). Its embedding cache is off, so every embedding here is a real model run.
/// </summary>
public sealed class EmbeddingServerFixture : IAsyncLifetime
{
    private MosaicServer? _server;

    public MosaicServer Server => _server ?? throw new InvalidOperationException("server not started");

    public MosaicHttp Http => Server.Http;

    public async Task InitializeAsync() => _server = await MosaicServer.StartAsync(new Dictionary<string, string?>
    {
        ["Mosaic:Embedder:CacheEntries"] = "0",
    });

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>POST /v1/embeddings with float output; the vectors in input order.</summary>
    public async Task<List<float[]>> EmbedAsync(params string[] texts)
    {
        var r = await Http.PostAsync("v1/embeddings", new JsonObject { ["model"] = "minilm", ["input"] = new JsonArray(texts.Select(t => (JsonNode?)t).ToArray()) });
        r.AssertStatus(System.Net.HttpStatusCode.OK);
        return Vectors(r.Object);
    }

    /// <summary>The embedding counters of /cluster.</summary>
    public async Task<JsonObject> StatsAsync()
    {
        var r = await Http.GetAsync("cluster");
        r.AssertStatus(System.Net.HttpStatusCode.OK);
        return r.Object["embedding"] as JsonObject ?? throw new Xunit.Sdk.XunitException($"/cluster has no embedding counters: {r.Describe()}");
    }

    public static List<float[]> Vectors(JsonObject answer) =>
        answer["data"]!.AsArray().OrderBy(d => d!["index"]!.GetValue<int>()).Select(d => d!["embedding"]!.AsArray().Select(x => x!.GetValue<float>()).ToArray()).ToList();

    public static double Dot(float[] a, float[] b) => a.Zip(b).Sum(p => (double)p.First * p.Second);
}

[CollectionDefinition(Name)]
public sealed class EmbeddingCollection : ICollectionFixture<EmbeddingServerFixture>
{
    public const string Name = "embedding server";
}
