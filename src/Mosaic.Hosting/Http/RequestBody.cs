using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Mosaic.Core.Errors;

namespace Mosaic.Hosting.Http;

/// <summary>Reads request bodies with a size limit and turns JSON errors into messages that name the field.</summary>
internal static class RequestBody
{
    /// <summary>Reads a body that the serializer would read from its bytes alone, or returns false to leave it to the serializer.</summary>
    public delegate bool FastReader<T>(ReadOnlySpan<byte> json, [NotNullWhen(true)] out T? value);

    /// <param name="fast">A reader of the body's common shape, tried first (<see cref="SearchRequestReader"/>).</param>
    public static async Task<T> ReadJsonAsync<T>(HttpRequest request, JsonTypeInfo<T> type, long maxBytes, string what, FastReader<T>? fast = null)
    {
        using var body = await ReadAllAsync(request, maxBytes, what);
        if (body.Length == 0)
        {
            throw new MosaicException(ErrorKind.InvalidArgument, "invalid_json", "body: empty; expected a JSON object");
        }

        var json = JsonText.Checked(body.Span, "");
        return fast is not null && fast(json, out var read) ? read : Deserialize(json, type, "");
    }

    /// <summary>One JSON value (a bulk line): its text checked (<see cref="JsonText"/>), then read with the contract's serializer.</summary>
    public static T Parse<T>(ReadOnlySpan<byte> json, JsonTypeInfo<T> type, string where) => Deserialize(JsonText.Checked(json, where), type, where);

    private static T Deserialize<T>(ReadOnlySpan<byte> json, JsonTypeInfo<T> type, string where)
    {
        try
        {
            return JsonSerializer.Deserialize(json, type)
                ?? throw new MosaicException(ErrorKind.InvalidArgument, "invalid_json", $"{where}body: expected a JSON object, got null");
        }
        catch (JsonException ex)
        {
            throw new MosaicException(ErrorKind.InvalidArgument, "invalid_json", where + Describe(ex));
        }
    }

    /// <summary>The whole body in one pooled buffer (give it back with Dispose once parsed).</summary>
    /// <remarks>
    /// The body is read once into a buffer of its Content-Length and parsed from there: no growing stream and no copy out
    /// of it (a 1,000-document bulk is over a megabyte, and a MemoryStream plus ToArray copied it three to four times).
    /// Without a Content-Length (chunked) the buffer doubles as it fills, up to the limit.
    /// </remarks>
    public static async Task<PooledBody> ReadAllAsync(HttpRequest request, long maxBytes, string what)
    {
        if (request.ContentLength > maxBytes)
        {
            throw new MosaicException(ErrorKind.TooLarge, "payload_too_large", $"{what}: is {request.ContentLength} bytes, the limit is {maxBytes}");
        }

        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Max((request.ContentLength ?? 0) + 1, 4096), maxBytes + 1));
        int length = 0;
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(buffer.AsMemory(length), request.HttpContext.RequestAborted)) > 0)
            {
                length += read;
                if (length > maxBytes)
                {
                    throw new MosaicException(ErrorKind.TooLarge, "payload_too_large", $"{what}: is over the limit of {maxBytes} bytes");
                }

                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, maxBytes + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
            }
        }
        catch (IOException ex) when (!request.HttpContext.RequestAborted.IsCancellationRequested)
        {
            // Kestrel reports most malformed bodies as BadHttpRequestException (ApiErrors answers 400), but a chunk size
            // past int.MaxValue as a plain IOException ("Bad chunk size data."), which was a 500 with no body.
            ArrayPool<byte>.Shared.Return(buffer);
            throw new MosaicException(ErrorKind.InvalidArgument, "bad_request", $"{what}: the request body could not be read ({ex.Message})");
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }

        return new PooledBody(buffer, length);
    }

    /// <summary>"vector[2]: ..." — the JSON path first, then what is wrong, without .NET type names.</summary>
    public static string Describe(JsonException ex)
    {
        string path = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "body" : ex.Path.TrimStart('$', '.');
        string message = ex.Message;
        if (message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal))
        {
            // Every body is an object: at the root the only wrong type is "not an object".
            return path == "body" ? "body: must be a JSON object" : $"{path}: has the wrong JSON type or an out-of-range value";
        }

        if (message.StartsWith("The JSON property", StringComparison.Ordinal) && message.Contains("could not be mapped", StringComparison.Ordinal))
        {
            var (name, named) = Quoted(message, path);
            return $"{(path == "body" ? name : named ? path : path + "." + name)}: unknown property";
        }

        if (message.StartsWith("Duplicate property '", StringComparison.Ordinal))
        {
            var (name, named) = Quoted(message, path);
            return $"{path}: {(named ? "" : $"'{name}' ")}is given more than once in one object (duplicate property)";
        }

        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut < 0)
        {
            cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        }

        return $"{path}: {(cut > 0 ? message[..cut] : message).TrimEnd(' ', '|', '.')}";
    }

    /// <summary>The property name a serializer message quotes, and whether <paramref name="path"/> already ends with it
    /// (the serializer's path may: "$.bogus"), so it is named once.</summary>
    private static (string Name, bool Named) Quoted(string message, string path)
    {
        int open = message.IndexOf('\'');
        int close = open >= 0 ? message.IndexOf('\'', open + 1) : -1;
        string name = close > open ? message[(open + 1)..close] : "?";
        return (name, path == name || path.EndsWith("." + name, StringComparison.Ordinal));
    }
}
