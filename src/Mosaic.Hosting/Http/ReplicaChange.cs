using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Mosaic.Contracts;
using Mosaic.Core.Errors;

namespace Mosaic.Hosting.Http;

/// <summary>Reads the body of PATCH /collections/{name}: <c>{"replicas": n}</c> and nothing else.</summary>
/// <remarks>
/// A live collection's replica count may change because placement can add or remove replicas of its shards while they
/// serve. Every other setting shapes what its shard files and indexes hold (dimension, metric, quantization, fields, HNSW,
/// embedding, routing) or how its slots are cut (shards: change those with a split), so a PATCH naming one is refused as
/// <c>immutable_setting</c>, naming it, rather than ignored.
/// </remarks>
internal static class ReplicaChange
{
    private const long MaxBytes = 64 * 1024;

    /// <summary>The settings a create takes: the names a PATCH may mention only to be told they cannot change.</summary>
    private static readonly HashSet<string> CreateSettings =
        MosaicJson.Api.CreateCollectionRequest.Properties.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);

    /// <summary>The replica count asked for, checked against the range a create allows.</summary>
    public static async Task<int> ReadAsync(HttpRequest request)
    {
        using var body = await RequestBody.ReadAllAsync(request, MaxBytes, "body");
        var root = Parse(body.Span);
        var names = root.EnumerateObject().Select(p => p.Name).ToList();
        var fixedOnes = names.Where(n => n != "replicas" && CreateSettings.Contains(n)).ToList();
        if (fixedOnes.Count > 0)
        {
            throw new MosaicException(ErrorKind.InvalidArgument, "immutable_setting",
                $"{string.Join(", ", fixedOnes)}: cannot change on a live collection; only replicas can (create a collection with the settings you want and import into it; split a shard for more shards)");
        }

        if (names.FirstOrDefault(n => n != "replicas") is { } unknown)
        {
            throw MosaicException.Invalid($"{unknown}: unknown property (a PATCH takes {{\"replicas\": n}})");
        }

        if (!root.TryGetProperty("replicas", out var replicas))
        {
            throw MosaicException.Invalid("replicas: required (a PATCH takes {\"replicas\": n})");
        }

        return replicas.ValueKind == JsonValueKind.Number && replicas.TryGetInt32(out int n)
            ? ContractMapping.CheckReplicas(n)
            : throw MosaicException.Invalid($"replicas: must be a whole number, got {Shown(replicas)}");
    }

    private static JsonElement Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            throw new MosaicException(ErrorKind.InvalidArgument, "invalid_json", "body: empty; expected a JSON object such as {\"replicas\": 2}");
        }

        var reader = new Utf8JsonReader(JsonText.Checked(bytes, ""));
        JsonElement root;
        try
        {
            root = JsonElement.ParseValue(ref reader);
            // Anything but whitespace after the object throws here (one value per body).
            if (reader.Read())
            {
                throw new JsonException("more than one JSON value in the body");
            }
        }
        catch (JsonException ex)
        {
            throw new MosaicException(ErrorKind.InvalidArgument, "invalid_json", RequestBody.Describe(ex));
        }

        return root.ValueKind == JsonValueKind.Object
            ? root
            : throw new MosaicException(ErrorKind.InvalidArgument, "invalid_json", "body: must be a JSON object such as {\"replicas\": 2}");
    }

    private static string Shown(JsonElement value)
    {
        string text = value.GetRawText();
        return text.Length <= 40 ? text : text[..40] + "...";
    }
}
