using System.Net.Http.Headers;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Mosaic.Core.Embedding;
using Mosaic.Core.Errors;
using Mosaic.Core.Seams;

namespace Mosaic.Embedding.Remote;

/// <summary>Embeds at one OpenAI-compatible endpoint: a <c>mosaic embedder</c> node or any server with POST …/v1/embeddings.</summary>
/// <remarks>
/// <para>
/// <paramref name="baseUrl"/> is the base an OpenAI client is given: <c>http://host:port/v1</c>; a URL that does not end in
/// <c>/v1</c> gets it appended. Vectors are asked as base64 (compact, exact float32) and scaled to unit length here,
/// whatever the server did, so cosine stays a dot product.
/// </para>
/// <para>
/// A list of more than <see cref="EmbeddingOptions.UrlMaxInputs"/> texts (or <see cref="EmbeddingOptions.MaxRequestCharacters"/>
/// characters) goes in several calls, one after another, each with <see cref="EmbeddingOptions.Timeout"/>: OpenAI refuses
/// more than 2,048 inputs in one request, and a bulk write embeds all its documents in one list.
/// </para>
/// <para>
/// Every failure (refused, timed out, a non-2xx answer, a malformed or wrong-dimension answer) is a 503-kind
/// <see cref="MosaicException"/>: none of them is the caller's mistake, and a pool retries them elsewhere.
/// </para>
/// </remarks>
public sealed class OpenAiEmbedder(HttpClient http, string baseUrl, string? remoteModel, EmbeddingOptions options, EmbeddingStats stats) : IEmbedder
{
    private readonly TimeSpan _timeout = options.Timeout;
    private readonly Uri _endpoint = new(baseUrl.TrimEnd('/') + (baseUrl.TrimEnd('/').EndsWith("/v1", StringComparison.Ordinal) ? "" : "/v1") + "/embeddings");

    /// <summary>Where this embedder sends its calls.</summary>
    public Uri Endpoint => _endpoint;

    public async Task<EmbeddingResult> EmbedAsync(string model, IReadOnlyList<string> texts, CancellationToken ct)
    {
        var known = EmbeddingModel.Get(model, "model");
        if (texts.Count == 0)
        {
            return new EmbeddingResult([], 0);
        }

        var batches = EmbedBatches.Split(texts, options.UrlMaxInputs, options.MaxRequestCharacters);
        if (batches.Count == 1)
        {
            return await CallAsync(remoteModel ?? model, texts, known.Dimension, ct).ConfigureAwait(false);
        }

        var vectors = new List<float[]>(texts.Count);
        int tokens = 0;
        foreach (var batch in batches)
        {
            var result = await CallAsync(remoteModel ?? model, batch, known.Dimension, ct).ConfigureAwait(false);
            vectors.AddRange(result.Vectors);
            tokens += result.Tokens;
        }

        return new EmbeddingResult(vectors, tokens);
    }

    private async Task<EmbeddingResult> CallAsync(string model, IReadOnlyList<string> texts, int dimension, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(_timeout);
        bool failed = true;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = Body(model, texts) };
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                string detail = await response.Content.ReadAsStringAsync(deadline.Token).ConfigureAwait(false);
                throw Unavailable($"{_endpoint} answered {(int)response.StatusCode}: {(detail.Length <= 200 ? detail : detail[..200])}");
            }

            await using var stream = await response.Content.ReadAsStreamAsync(deadline.Token).ConfigureAwait(false);
            using var json = await JsonDocument.ParseAsync(stream, default, deadline.Token).ConfigureAwait(false);
            var result = Read(json.RootElement, texts.Count, dimension);
            failed = false;
            return result;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw Unavailable($"{_endpoint} did not answer within {_timeout.TotalMilliseconds:F0} ms");
        }
        catch (HttpRequestException ex)
        {
            throw Unavailable($"{_endpoint} unreachable: {ex.Message}");
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw Unavailable($"{_endpoint} answered something that is not an embeddings list: {ex.Message}");
        }
        finally
        {
            stats.RemoteCall(failed);
        }
    }

    private static ByteArrayContent Body(string model, IReadOnlyList<string> texts)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("model", model);
            writer.WriteStartArray("input");
            foreach (var text in texts)
            {
                writer.WriteStringValue(text);
            }

            writer.WriteEndArray();
            writer.WriteString("encoding_format", "base64");
            writer.WriteEndObject();
        }

        var content = new ByteArrayContent(buffer.GetBuffer(), 0, (int)buffer.Length);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json", Encoding.UTF8.WebName);
        return content;
    }

    private static EmbeddingResult Read(JsonElement root, int count, int dimension)
    {
        var vectors = new float[count][];
        foreach (var item in root.GetProperty("data").EnumerateArray())
        {
            int index = item.GetProperty("index").GetInt32();
            var embedding = item.GetProperty("embedding");
            float[] vector = embedding.ValueKind == JsonValueKind.String
                ? MemoryMarshal.Cast<byte, float>(Convert.FromBase64String(embedding.GetString()!)).ToArray()
                : embedding.EnumerateArray().Select(v => v.GetSingle()).ToArray();
            if (index < 0 || index >= count || vector.Length != dimension)
            {
                throw new InvalidDataException($"item {index} has {vector.Length} dimensions (expected {count} items of {dimension})");
            }

            float norm = TensorPrimitives.Norm(vector);
            if (!float.IsFinite(norm) || norm == 0)
            {
                throw new InvalidDataException($"item {index} is not a usable vector");
            }

            TensorPrimitives.Divide(vector, norm, vector);
            vectors[index] = vector;
        }

        if (vectors.Any(v => v is null))
        {
            throw new InvalidDataException($"fewer than {count} embeddings");
        }

        int tokens = root.TryGetProperty("usage", out var usage) && usage.TryGetProperty("prompt_tokens", out var t) && t.TryGetInt32(out int n) ? n : 0;
        return new EmbeddingResult(vectors, tokens);
    }

    private static MosaicException Unavailable(string detail) =>
        new(ErrorKind.Unavailable, "embedder_unavailable", "embedder: " + detail) { RetryAfter = TimeSpan.FromSeconds(1) };
}
