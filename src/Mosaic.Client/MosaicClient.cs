using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Mosaic.Contracts;

namespace Mosaic.Client;

/// <summary>A small .NET client of the Mosaic HTTP API (used by the CLI, the load generator and benchmarks).</summary>
/// <remarks>
/// Every name and id goes into the URL percent-encoded as one path segment (<see cref="Uri.EscapeDataString(string)"/>), so
/// an id like <c>https://example.com/a/b</c>, <c>a b</c> or <c>100%</c> addresses exactly that document; the server
/// decodes it exactly once.
/// </remarks>
public sealed class MosaicClient(HttpClient http) : IDisposable
{
    /// <param name="apiKey">Sent as <c>Authorization: Bearer</c> on every request when the server has keys on.</param>
    /// <param name="timeout">Per request; default 10 minutes (<see cref="Timeout.InfiniteTimeSpan"/> for none).</param>
    public MosaicClient(Uri baseAddress, string? apiKey = null, TimeSpan? timeout = null)
        : this(WithKey(new HttpClient { BaseAddress = baseAddress, Timeout = timeout ?? TimeSpan.FromMinutes(10) }, apiKey))
    {
    }

    public HttpClient Http { get; } = http;

    /// <summary>Upserts one document; <paramref name="idempotencyKey"/> makes a retry answer the first result.</summary>
    public Task<WriteResponse> UpsertAsync(string collection, string id, DocumentBody document, string? idempotencyKey = null, CancellationToken ct = default) =>
        SendAsync(Keyed(Json(HttpMethod.Put, DocumentPath(collection, id), document, MosaicJson.Api.DocumentBody), idempotencyKey), MosaicJson.Api.WriteResponse, ct);

    public Task<DocumentResponse> GetDocumentAsync(string collection, string id, CancellationToken ct = default) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, DocumentPath(collection, id)), MosaicJson.Api.DocumentResponse, ct);

    /// <summary>POST /keys (admin): a new key; its secret is in <see cref="KeyResponse.Key"/> of this answer only.</summary>
    public Task<KeyResponse> CreateKeyAsync(string role, double? rate = null, CancellationToken ct = default) =>
        SendAsync(Json(HttpMethod.Post, "keys", new CreateKeyRequest(role, rate), MosaicJson.Api.CreateKeyRequest), MosaicJson.Api.KeyResponse, ct);

    public Task<KeyListResponse> ListKeysAsync(CancellationToken ct = default) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, "keys"), MosaicJson.Api.KeyListResponse, ct);

    /// <summary>DELETE /keys/{id}: revokes the key with this id (the key itself never goes into a URL).</summary>
    public Task<KeyResponse> RevokeKeyAsync(string id, CancellationToken ct = default) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"keys/{Uri.EscapeDataString(id)}"), MosaicJson.Api.KeyResponse, ct);

    public Task<WriteResponse> DeleteDocumentAsync(string collection, string id, string? idempotencyKey = null, CancellationToken ct = default) =>
        SendAsync(Keyed(new HttpRequestMessage(HttpMethod.Delete, DocumentPath(collection, id)), idempotencyKey), MosaicJson.Api.WriteResponse, ct);

    public Task<CollectionResponse> GetCollectionAsync(string name, CancellationToken ct = default) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, $"collections/{Uri.EscapeDataString(name)}"), MosaicJson.Api.CollectionResponse, ct);

    public Task<CollectionResponse> CreateCollectionAsync(string name, CreateCollectionRequest body, CancellationToken ct = default) =>
        SendAsync(Json(HttpMethod.Put, $"collections/{Uri.EscapeDataString(name)}", body, MosaicJson.Api.CreateCollectionRequest), MosaicJson.Api.CollectionResponse, ct);

    /// <summary>PATCH /collections/{name} (admin): sets the collection's replica count, the one setting that can change. In
    /// a cluster the placement leader then adds or removes replicas (GET /cluster shows them); embedded, one node holds
    /// one replica of each shard whatever R.</summary>
    public Task<CollectionResponse> SetReplicasAsync(string name, int replicas, CancellationToken ct = default) =>
        SendAsync(Json(HttpMethod.Patch, $"collections/{Uri.EscapeDataString(name)}", new UpdateCollectionRequest(replicas), MosaicJson.Api.UpdateCollectionRequest), MosaicJson.Api.CollectionResponse, ct);

    /// <summary>Writes NDJSON lines as one all-or-nothing bulk request.</summary>
    public Task<BulkResponse> BulkAsync(string collection, ReadOnlyMemory<byte> ndjson, CancellationToken ct = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"collections/{Uri.EscapeDataString(collection)}/docs:bulk")
        {
            Content = new ReadOnlyMemoryContent(ndjson),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        return SendAsync(request, MosaicJson.Api.BulkResponse, ct);
    }

    public Task<SearchResponse> SearchAsync(string collection, SearchRequest body, CancellationToken ct = default) =>
        SendAsync(Json(HttpMethod.Post, $"collections/{Uri.EscapeDataString(collection)}/search", body, MosaicJson.Api.SearchRequest), MosaicJson.Api.SearchResponse, ct);

    /// <summary>POST /admin/backup: the node writes a consistent backup of its store into <paramref name="directory"/> (a path on the node).</summary>
    public Task<BackupManifest> BackupAsync(string directory, CancellationToken ct = default) =>
        SendAsync(Json(HttpMethod.Post, "admin/backup", new BackupRequest(directory), MosaicJson.Api.BackupRequest), MosaicJson.Api.BackupManifest, ct);

    public Task<ClusterResponse> GetClusterAsync(CancellationToken ct = default) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, "cluster"), MosaicJson.Api.ClusterResponse, ct);

    /// <summary>GET /advice: scaling and shard advice from a coordinator.</summary>
    public Task<AdviceResponse> GetAdviceAsync(CancellationToken ct = default) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, "advice"), MosaicJson.Api.AdviceResponse, ct);

    private static string DocumentPath(string collection, string id) => $"collections/{Uri.EscapeDataString(collection)}/docs/{Uri.EscapeDataString(id)}";

    private static HttpRequestMessage Keyed(HttpRequestMessage request, string? idempotencyKey)
    {
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return request;
    }

    private static HttpClient WithKey(HttpClient http, string? apiKey)
    {
        if (!string.IsNullOrEmpty(apiKey))
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        return http;
    }

    private static HttpRequestMessage Json<T>(HttpMethod method, string path, T body, JsonTypeInfo<T> type) => new(method, path)
    {
        Content = new StringContent(JsonSerializer.Serialize(body, type), Encoding.UTF8, "application/json"),
    };

    private async Task<T> SendAsync<T>(HttpRequestMessage request, JsonTypeInfo<T> type, CancellationToken ct)
    {
        using (request)
        {
            using var response = await Http.SendAsync(request, ct).ConfigureAwait(false);
            string body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                ErrorResponse? error = null;
                try
                {
                    error = JsonSerializer.Deserialize(body, MosaicJson.Api.ErrorResponse);
                }
                catch (JsonException)
                {
                    // Not our error shape (a proxy, say): report the raw body below.
                }

                throw new MosaicApiException((int)response.StatusCode, error?.Error ?? "http_error", error?.Detail ?? body);
            }

            return JsonSerializer.Deserialize(body, type) ?? throw new MosaicApiException((int)response.StatusCode, "empty", "empty answer");
        }
    }

    public void Dispose() => Http.Dispose();
}
