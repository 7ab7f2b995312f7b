using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Mosaic.Testing;

/// <summary>A thin raw-HTTP client for the Mosaic API: tests see exactly what goes over the wire.</summary>
/// <remarks>
/// Bodies are given as <see cref="JsonNode"/>, as anonymous objects (serialized snake_case), or as raw strings
/// (for malformed input). Every call has a timeout so a hung server fails a test instead of stalling the run.
/// </remarks>
public sealed class MosaicHttp : IDisposable
{
    public static readonly JsonSerializerOptions SerializerOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
    };

    private readonly HttpClient _client;

    /// <param name="apiKey">Sent as <c>Authorization: Bearer</c> on every request (a server with keys on).</param>
    public MosaicHttp(string baseUrl, TimeSpan? timeout = null, string? apiKey = null)
    {
        BaseUrl = baseUrl.TrimEnd('/');
        _client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = new Uri(BaseUrl + "/"),
            Timeout = timeout ?? TimeSpan.FromSeconds(60),
        };
        if (apiKey is not null)
        {
            _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }
    }

    public string BaseUrl { get; }

    public Task<ApiResponse> GetAsync(string path) => SendAsync(HttpMethod.Get, path, null);

    public Task<ApiResponse> DeleteAsync(string path, IReadOnlyDictionary<string, string>? headers = null) => SendAsync(HttpMethod.Delete, path, null, headers: headers);

    public Task<ApiResponse> PutAsync(string path, object? body, IReadOnlyDictionary<string, string>? headers = null) => SendAsync(HttpMethod.Put, path, body, headers: headers);

    public Task<ApiResponse> PatchAsync(string path, object? body) => SendAsync(HttpMethod.Patch, path, body);

    public Task<ApiResponse> PostAsync(string path, object? body, IReadOnlyDictionary<string, string>? headers = null) => SendAsync(HttpMethod.Post, path, body, headers: headers);

    /// <summary>Posts NDJSON lines to <c>docs:bulk</c>.</summary>
    public Task<ApiResponse> BulkAsync(string collection, IEnumerable<string> lines, IReadOnlyDictionary<string, string>? headers = null)
    {
        var body = string.Join("\n", lines) + "\n";
        return SendAsync(HttpMethod.Post, $"collections/{collection}/docs:bulk", new RawBody(body, "application/x-ndjson"), headers: headers);
    }

    /// <summary>Sends a request. <paramref name="body"/> may be null, a <see cref="RawBody"/>, a string (sent verbatim as application/json), a <see cref="JsonNode"/>, or any object (serialized).</summary>
    public async Task<ApiResponse> SendAsync(HttpMethod method, string path, object? body, IReadOnlyDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        request.Content = body switch
        {
            null => null,
            RawBody raw => MakeContent(raw.Text, raw.ContentType),
            string s => MakeContent(s, "application/json"),
            JsonNode node => MakeContent(node.ToJsonString(), "application/json"),
            _ => MakeContent(JsonSerializer.Serialize(body, body.GetType(), SerializerOptions), "application/json"),
        };
        if (headers is not null)
        {
            foreach (var (key, value) in headers)
            {
                request.Headers.TryAddWithoutValidation(key, value);
            }
        }

        using var response = await _client.SendAsync(request).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        var retryAfter = response.Headers.RetryAfter is { } ra ? ra.Delta ?? ra.Date - DateTimeOffset.UtcNow : null;
        return new ApiResponse(method.Method, "/" + path.TrimStart('/'), response.StatusCode, text, response.Content.Headers.ContentType?.MediaType) { RetryAfter = retryAfter };
    }

    /// <summary>Sends the target exactly as written (no dot-segment resolution, no escaping of a lone '%' by System.Uri) and the
    /// body as bytes: for what a client's normalized URL or a string body cannot carry.</summary>
    public async Task<ApiResponse> SendAsWrittenAsync(string method, string path, byte[]? body, string contentType = "application/json")
    {
        var uri = new Uri($"{BaseUrl}/{path.TrimStart('/')}", new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        using var request = new HttpRequestMessage(new HttpMethod(method), uri);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }

        using var response = await _client.SendAsync(request).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        return new ApiResponse(method, "/" + path.TrimStart('/'), response.StatusCode, text, response.Content.Headers.ContentType?.MediaType);
    }

    // ---- Typed conveniences used across the suite (each asserts success and returns the parsed body). ----

    public async Task<JsonObject> CreateCollectionAsync(string name, object settings)
    {
        var r = await PutAsync($"collections/{name}", settings).ConfigureAwait(false);
        Assert.True(r.Status is HttpStatusCode.Created or HttpStatusCode.OK, $"create collection {name}: {r.Describe()}");
        return r.Json as JsonObject ?? [];
    }

    /// <summary>Upserts one document; returns its consistency token.</summary>
    public async Task<string> UpsertAsync(string collection, string id, object doc, IReadOnlyDictionary<string, string>? headers = null)
    {
        var r = await PutAsync($"collections/{collection}/docs/{Uri.EscapeDataString(id)}", doc, headers).ConfigureAwait(false);
        r.AssertStatus(HttpStatusCode.OK);
        return Token(r);
    }

    /// <summary>Bulk-writes NDJSON lines; returns (written, token).</summary>
    public async Task<(long Written, string Token)> BulkOkAsync(string collection, IEnumerable<string> lines, IReadOnlyDictionary<string, string>? headers = null)
    {
        var r = await BulkAsync(collection, lines, headers).ConfigureAwait(false);
        r.AssertStatus(HttpStatusCode.OK);
        var written = r.Object["written"];
        Assert.True(written is JsonValue, $"bulk answer lacks 'written': {r.Describe()}");
        return (written!.GetValue<long>(), Token(r));
    }

    public async Task<JsonObject> SearchAsync(string collection, object search)
    {
        var r = await PostAsync($"collections/{collection}/search", search).ConfigureAwait(false);
        r.AssertStatus(HttpStatusCode.OK);
        return r.Object;
    }

    public async Task<long> DocCountAsync(string collection)
    {
        var r = await GetAsync($"collections/{collection}").ConfigureAwait(false);
        r.AssertStatus(HttpStatusCode.OK);
        var count = r.Object["doc_count"];
        Assert.True(count is JsonValue, $"collection answer lacks doc_count: {r.Describe()}");
        return count!.GetValue<long>();
    }

    /// <summary>The ids of an answer's hits, in rank order.</summary>
    public static List<string> HitIds(JsonObject answer)
    {
        var hits = answer["hits"] as JsonArray;
        Assert.True(hits is not null, $"answer lacks a 'hits' array: {answer.ToJsonString()}");
        return hits!.Select(h => h!["id"]!.GetValue<string>()).ToList();
    }

    /// <summary>The scores of an answer's hits, in rank order.</summary>
    public static List<double> HitScores(JsonObject answer)
    {
        var hits = answer["hits"] as JsonArray;
        Assert.True(hits is not null, $"answer lacks a 'hits' array: {answer.ToJsonString()}");
        return hits!.Select(h => h!["score"]!.GetValue<double>()).ToList();
    }

    public static string Token(ApiResponse r)
    {
        var token = r.Object["token"];
        Assert.True(token is JsonValue tv && tv.TryGetValue<string>(out var t) && !string.IsNullOrEmpty(t), $"answer lacks a string 'token': {r.Describe()}");
        return token!.GetValue<string>();
    }

    /// <summary>Serializes a document line for NDJSON bulk bodies.</summary>
    public static string Line(object doc) => JsonSerializer.Serialize(doc, doc.GetType(), SerializerOptions);

    /// <summary>Formats a float for hand-written JSON with the invariant culture and round-trip precision.</summary>
    public static string Num(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    public void Dispose() => _client.Dispose();

    private static StringContent MakeContent(string text, string mediaType)
    {
        var content = new StringContent(text, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType) { CharSet = "utf-8" };
        return content;
    }
}

/// <summary>A request body sent verbatim with the given content type.</summary>
public sealed record RawBody(string Text, string ContentType = "application/json");
