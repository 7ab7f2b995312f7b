using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Mosaic.Contracts;

namespace Mosaic.Hosting.Http;

/// <summary>Reads the common shape of a <see cref="SearchRequest"/> body straight from its bytes, without the serializer.</summary>
/// <remarks>
/// <para>
/// The source-generated reader of a ten-parameter record keeps every constructor argument in a cache of its own, and reads
/// the query vector into a growing list copied out at the end: 5-6 % of an embedded vector search's CPU in perf at 100k,
/// and a fifth of its allocations. This reader fills the record's arguments directly and the vector into a pooled buffer.
/// </para>
/// <para>
/// It accepts only what it reads exactly as the serializer does: each known property once, with a value of its own type
/// (no nulls, which the serializer maps per type). Anything else (an unknown or repeated property, a null, a wrong type,
/// a number out of range, broken JSON) returns false, and the caller parses the body with the serializer, whose answer
/// or error message is then the request's. So this changes the cost of a body, never its meaning.
/// </para>
/// </remarks>
internal static class SearchRequestReader
{
    private static readonly JsonReaderOptions ReaderOptions = new() { CommentHandling = JsonCommentHandling.Disallow, AllowTrailingCommas = false };
    private static readonly JsonDocumentOptions NoDuplicates = new() { AllowDuplicateProperties = false };

    /// <summary>The request in <paramref name="json"/>, or false when the serializer must read it.</summary>
    public static bool TryRead(ReadOnlySpan<byte> json, [NotNullWhen(true)] out SearchRequest? request)
    {
        try
        {
            return TryReadObject(json, out request);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            // Broken JSON or text that does not transcode: the serializer gives the error.
            request = null;
            return false;
        }
    }

    private static bool TryReadObject(ReadOnlySpan<byte> json, [NotNullWhen(true)] out SearchRequest? request)
    {
        request = null;
        var reader = new Utf8JsonReader(json, ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        string? mode = null, query = null;
        float[]? vector = null;
        int? topK = null, timeoutMs = null, efSearch = null;
        JsonElement? filter = null;
        ConsistencyBody? consistency = null;
        bool? allowPartial = null;
        string[]? include = null;
        int seen = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            int property = PropertyOf(ref reader);
            if (property < 0 || (seen & (1 << property)) != 0 || !reader.Read() || reader.TokenType == JsonTokenType.Null)
            {
                return false;
            }

            seen |= 1 << property;
            bool read = property switch
            {
                0 => TryString(ref reader, out mode),
                1 => TryString(ref reader, out query),
                2 => TryVector(ref reader, out vector),
                3 => TryInt(ref reader, out topK),
                4 => TryElement(ref reader, json, out filter),
                5 => TryConsistency(ref reader, out consistency),
                6 => TryInt(ref reader, out timeoutMs),
                7 => TryBool(ref reader, out allowPartial),
                8 => TryStrings(ref reader, out include),
                _ => TryInt(ref reader, out efSearch),
            };
            if (!read)
            {
                return false;
            }
        }

        // The object closed, and nothing follows it.
        if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
        {
            return false;
        }

        request = new SearchRequest(mode, query, vector, topK, filter, consistency, timeoutMs, allowPartial, include, efSearch);
        return true;
    }

    /// <summary>The contract's snake_case names, in the order of the record's parameters; -1 for any other.</summary>
    private static int PropertyOf(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("mode"u8) ? 0
        : reader.ValueTextEquals("query"u8) ? 1
        : reader.ValueTextEquals("vector"u8) ? 2
        : reader.ValueTextEquals("top_k"u8) ? 3
        : reader.ValueTextEquals("filter"u8) ? 4
        : reader.ValueTextEquals("consistency"u8) ? 5
        : reader.ValueTextEquals("timeout_ms"u8) ? 6
        : reader.ValueTextEquals("allow_partial"u8) ? 7
        : reader.ValueTextEquals("include"u8) ? 8
        : reader.ValueTextEquals("ef_search"u8) ? 9
        : -1;

    private static bool TryString(ref Utf8JsonReader reader, out string? value)
    {
        value = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        return value is not null;
    }

    private static bool TryInt(ref Utf8JsonReader reader, out int? value)
    {
        value = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int number) ? number : null;
        return value is not null;
    }

    private static bool TryBool(ref Utf8JsonReader reader, out bool? value)
    {
        value = reader.TokenType switch
        {
            JsonTokenType.True => true,
            JsonTokenType.False => false,
            _ => null,
        };
        return value is not null;
    }

    private static bool TryElement(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, out JsonElement? value)
    {
        // What the serializer's JsonElement converter does with the value: a property repeated in one of its objects is a
        // JsonException (MosaicJson.Api refuses duplicates), so the serializer gives the error.
        int start = (int)reader.TokenStartIndex;
        reader.Skip();
        value = JsonElement.Parse(json[start..(int)reader.BytesConsumed], NoDuplicates);
        return true;
    }

    private static bool TryConsistency(ref Utf8JsonReader reader, out ConsistencyBody? value)
    {
        value = null;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        string? after = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (after is not null || !reader.ValueTextEquals("after"u8) || !reader.Read() || !TryString(ref reader, out after))
            {
                return false;
            }
        }

        value = new ConsistencyBody(after);
        return reader.TokenType == JsonTokenType.EndObject;
    }

    private static bool TryStrings(ref Utf8JsonReader reader, out string[]? value)
    {
        value = null;
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return false;
        }

        var items = new List<string>(3);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (!TryString(ref reader, out string? item))
            {
                return false;
            }

            items.Add(item!);
        }

        value = [.. items];
        return reader.TokenType == JsonTokenType.EndArray;
    }

    /// <summary>The numbers of an array into a pooled buffer, then one array of the exact length.</summary>
    private static bool TryVector(ref Utf8JsonReader reader, out float[]? value)
    {
        value = null;
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return false;
        }

        var buffer = ArrayPool<float>.Shared.Rent(256);
        try
        {
            int count = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                // GetSingle in the serializer is this call; a number it refuses goes back to the serializer for its error.
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetSingle(out float component))
                {
                    return false;
                }

                if (count == buffer.Length)
                {
                    var larger = ArrayPool<float>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, count).CopyTo(larger);
                    ArrayPool<float>.Shared.Return(buffer);
                    buffer = larger;
                }

                buffer[count++] = component;
            }

            value = buffer.AsSpan(0, count).ToArray();
            return reader.TokenType == JsonTokenType.EndArray;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }
}
