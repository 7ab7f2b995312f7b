using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Mosaic.Hosting.Http;

/// <summary>Refuses a request whose target has a <c>.</c> or <c>..</c> segment (also as <c>%2E</c>), before anything runs.</summary>
/// <remarks>
/// Kestrel resolves dot segments before routing (RFC 3986 §5.2.4), so such a target names another resource than the one
/// it seems to: <c>DELETE /collections/c/docs/%2E%2E</c>, a delete of the document "..", arrived as
/// <c>DELETE /collections/c</c> and dropped the whole collection. No client sends dot segments to mean a parent on
/// purpose (HTTP clients resolve them before sending), so a target with one is refused with a 400 naming it. A document
/// whose id is "." or ".." can still be written, and deleted, by a bulk line.
/// </remarks>
internal static class DotSegments
{
    public static void UseNoDotSegments(this WebApplication app) => app.Use((context, next) =>
    {
        string? raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        return raw is null || !HasDotSegment(raw)
            ? next(context)
            : ApiErrors.Error(
                StatusCodes.Status400BadRequest,
                "invalid_path",
                "path: has a '.' or '..' segment, which would address another resource; a document id '.' or '..' can be written and deleted only by a docs:bulk line").ExecuteAsync(context);
    });

    /// <summary>True when a segment of the target's path is <c>.</c> or <c>..</c>, any dot written as <c>%2E</c> too.</summary>
    internal static bool HasDotSegment(string rawTarget)
    {
        var path = rawTarget.AsSpan();
        // Most targets have no dot or escape at all.
        if (path.IndexOfAny('.', '%') < 0)
        {
            return false;
        }

        // Absolute-form (http://host/path): the path starts at the first slash after the authority.
        int scheme = path.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0 && scheme < path.IndexOf('/'))
        {
            int slash = path[(scheme + 3)..].IndexOf('/');
            path = slash < 0 ? [] : path[(scheme + 3 + slash)..];
        }

        int end = path.IndexOfAny('?', '#');
        if (end >= 0)
        {
            path = path[..end];
        }

        foreach (var range in path.Split('/'))
        {
            if (IsDots(path[range]))
            {
                return true;
            }
        }

        return false;
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
}
