using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Mosaic.IntegrationTests.Embedding;

/// <summary>
/// Stands in for OpenAI's POST /v1/embeddings on 127.0.0.1 (the remote API, not a part of Mosaic): it records the inputs
/// of every request in order, and answers each text with <see cref="VectorOf"/>, refusing more than 2,048 inputs as
/// OpenAI does.
/// </summary>
public sealed class FakeOpenAiServer : IAsyncDisposable
{
    public const int Dimension = 384;
    public const int MaxInputs = 2048;

    private readonly WebApplication _app;
    private readonly List<IReadOnlyList<string>> _requests = [];

    private FakeOpenAiServer(WebApplication app) => _app = app;

    /// <summary>The base URL an OpenAI client is given (…/v1).</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>The inputs of every request so far, in the order they arrived.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    public static async Task<FakeOpenAiServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new FakeOpenAiServer(app);
        app.MapPost("/v1/embeddings", server.EmbedAsync);
        await app.StartAsync();
        server.BaseUrl = app.Urls.First().Replace("localhost", "127.0.0.1", StringComparison.Ordinal) + "/v1";
        return server;
    }

    /// <summary>The (not unit) vector answered for a text "… {i}": two components set by the number i at its end.</summary>
    public static float[] VectorOf(string text)
    {
        int i = int.Parse(text[(text.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        var vector = new float[Dimension];
        vector[i % Dimension] = 3;
        vector[(i / Dimension + 100) % Dimension] += 1;
        return vector;
    }

    private async Task<IResult> EmbedAsync(HttpRequest request)
    {
        var body = await JsonNode.ParseAsync(request.Body) ?? throw new InvalidDataException("no body");
        var inputs = body["input"]!.AsArray().Select(t => t!.GetValue<string>()).ToList();
        lock (_requests)
        {
            _requests.Add(inputs);
        }

        if (inputs.Count > MaxInputs)
        {
            return Results.Json(new { error = new { message = $"'$.input' is invalid: at most {MaxInputs} inputs", type = "invalid_request_error" } }, statusCode: 400);
        }

        bool base64 = body["encoding_format"]?.GetValue<string>() == "base64";
        var data = inputs.Select((text, index) =>
        {
            var vector = VectorOf(text);
            object embedding = base64 ? Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vector.AsSpan())) : vector;
            return new { @object = "embedding", index, embedding };
        });
        return Results.Json(new { @object = "list", data, model = "fake", usage = new { prompt_tokens = inputs.Count, total_tokens = inputs.Count } }, new JsonSerializerOptions());
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
