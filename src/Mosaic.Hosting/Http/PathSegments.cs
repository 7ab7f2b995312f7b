using System.Globalization;
using System.Text.Unicode;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Mosaic.Hosting.Http;

/// <summary>Refuses, before anything runs, a request whose target path has a segment that cannot be read as written: a
/// <c>.</c> or <c>..</c> segment (also as <c>%2E</c>), or invalid percent-encoding. A 400 <c>invalid_path</c> names it.</summary>
/// <remarks>
/// Dot segments: Kestrel resolves them before routing (RFC 3986 §5.2.4), so such a target names another resource than the
/// one it seems to: <c>DELETE /collections/c/docs/%2E%2E</c>, a delete of the document "..", arrived as
/// <c>DELETE /collections/c</c> and dropped the whole collection. No client sends dot segments to mean a parent on
/// purpose (HTTP clients resolve them before sending). A document whose id is "." or ".." can still be written, and
/// deleted, by a bulk line.
/// <para>Percent-encoding: a '%' must be followed by two hex digits (RFC 3986 §2.1), and the escaped bytes must be UTF-8,
/// the text every name and id is. Kestrel and <see cref="Uri.UnescapeDataString(string)"/> both keep an invalid escape as
/// literal text, so <c>/docs/%zz</c> and <c>/docs/%FF</c> were the ids "%zz" and "%FF", the same documents as
/// <c>/docs/%25zz</c> and <c>/docs/%25FF</c>: one id with two spellings, one of them a client's mistake.</para>
/// </remarks>
internal static class PathSegments
{
    /// <summary>How much of a bad segment an answer repeats (a segment may be as long as the request line).</summary>
    private const int ShownChars = 80;

    public static void UseCheckedPathSegments(this WebApplication app) => app.Use((context, next) =>
    {
        string? raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        return raw is null || Problem(raw) is not { } detail
            ? next(context)
            : ApiErrors.Error(StatusCodes.Status400BadRequest, "invalid_path", detail).ExecuteAsync(context);
    });

    /// <summary>What is wrong with the target's path, naming the segment; null when every segment reads as written.</summary>
    internal static string? Problem(string rawTarget)
    {
        var path = PathOf(rawTarget);
        // Most targets have no dot or escape at all.
        if (path.IndexOfAny('.', '%') < 0)
        {
            return null;
        }

        foreach (var range in path.Split('/'))
        {
            var segment = path[range];
            if (IsDots(segment))
            {
                return "path: has a '.' or '..' segment, which would address another resource; a document id '.' or '..' can be written and deleted only by a docs:bulk line";
            }

            if (EscapeProblem(segment) is { } problem)
            {
                return $"path: segment '{Shown(segment)}' {problem}";
            }
        }

        return null;
    }

    /// <summary>The path of a target: absolute-form (http://host/path) starts at the first slash after the authority; no query.</summary>
    private static ReadOnlySpan<char> PathOf(string rawTarget)
    {
        var path = rawTarget.AsSpan();
        int scheme = path.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0 && scheme < path.IndexOf('/'))
        {
            int slash = path[(scheme + 3)..].IndexOf('/');
            path = slash < 0 ? [] : path[(scheme + 3 + slash)..];
        }

        int end = path.IndexOfAny('?', '#');
        return end >= 0 ? path[..end] : path;
    }

    private static bool IsDots(ReadOnlySpan<char> segment)
    {
        int dots = 0;
        while (!segment.IsEmpty)
        {
            if (segment[0] == '.')
            {
                segment = segment[1..];
            }
            else if (segment.Length >= 3 && segment[0] == '%' && segment[1] == '2' && (segment[2] is 'e' or 'E'))
            {
                segment = segment[3..];
            }
            else
            {
                return false;
            }

            dots++;
        }

        return dots is 1 or 2;
    }

    /// <summary>Null when every '%' starts two hex digits and each run of escapes decodes to UTF-8; else what is wrong.</summary>
    private static string? EscapeProblem(ReadOnlySpan<char> segment)
    {
        // A run of escapes decodes to at most a third of the segment's length in bytes.
        Span<byte> bytes = segment.Length < 768 ? stackalloc byte[256] : new byte[segment.Length / 3 + 1];
        int i = 0;
        while ((i = NextPercent(segment, i)) >= 0)
        {
            int run = 0;
            while (i < segment.Length && segment[i] == '%')
            {
                if (i + 2 >= segment.Length || !char.IsAsciiHexDigit(segment[i + 1]) || !char.IsAsciiHexDigit(segment[i + 2]))
                {
                    return "has a '%' that is not followed by two hex digits (RFC 3986); write a literal '%' as %25";
                }

                bytes[run++] = byte.Parse(segment.Slice(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
                i += 3;
            }

            if (!Utf8.IsValid(bytes[..run]))
            {
                return "has percent-escaped bytes that are not UTF-8";
            }
        }

        return null;
    }

    private static int NextPercent(ReadOnlySpan<char> segment, int from)
    {
        int at = segment[from..].IndexOf('%');
        return at < 0 ? -1 : from + at;
    }

    private static string Shown(ReadOnlySpan<char> segment) => segment.Length <= ShownChars ? segment.ToString() : string.Concat(segment[..ShownChars], "...");
}
