using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Mosaic.Core.Errors;

namespace Mosaic.Hosting.Http;

/// <summary>Reads request bodies with a size limit and turns JSON errors into messages that name the field.</summary>
internal static class RequestBody
{
    public static async Task<T> ReadJsonAsync<T>(HttpRequest request, JsonTypeInfo<T> type, long maxBytes, string what)
    {
        var bytes = await ReadAllAsync(request, maxBytes, what);
        if (bytes.Length == 0)
        {
            throw new MosaicException(ErrorKind.InvalidArgument, "invalid_json", "body: empty; expected a JSON object");
        }

        return Parse(bytes, type, "");
    }

    public static T Parse<T>(ReadOnlySpan<byte> json, JsonTypeInfo<T> type, string where)
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

    public static async Task<byte[]> ReadAllAsync(HttpRequest request, long maxBytes, string what)
    {
        if (request.ContentLength > maxBytes)
        {
            throw new MosaicException(ErrorKind.TooLarge, "payload_too_large", $"{what}: is {request.ContentLength} bytes, the limit is {maxBytes}");
        }

        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
            {
                if (buffer.Length + read > maxBytes)
                {
                    throw new MosaicException(ErrorKind.TooLarge, "payload_too_large", $"{what}: is over the limit of {maxBytes} bytes");
                }

                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return buffer.ToArray();
    }

    /// <summary>"vector[2]: ..." — the JSON path first, then what is wrong, without .NET type names.</summary>
    public static string Describe(JsonException ex)
    {
        string path = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "body" : ex.Path.TrimStart('$', '.');
        string message = ex.Message;
        if (message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal))
        {
            return $"{path}: has the wrong JSON type or an out-of-range value";
        }

        if (message.StartsWith("The JSON property", StringComparison.Ordinal) && message.Contains("could not be mapped", StringComparison.Ordinal))
        {
            int open = message.IndexOf('\'');
            int close = open >= 0 ? message.IndexOf('\'', open + 1) : -1;
            string name = close > open ? message[(open + 1)..close] : "?";
            return $"{(path == "body" ? "" : path + ".")}{name}: unknown property";
        }

        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut < 0)
        {
            cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        }

        return $"{path}: {(cut > 0 ? message[..cut] : message).TrimEnd(' ', '|', '.')}";
    }
}
