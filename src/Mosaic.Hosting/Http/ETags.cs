using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Mosaic.Hosting.Http;

/// <summary>ETag and Cache-Control on collection and document GETs (and HEADs); a matching If-None-Match answers 304 without a body.</summary>
/// <remarks>
/// The tag is a hash of the answer's bytes, so it changes exactly when the answer does (a write to the document, or any
/// write that moves a collection's counts) and is the same on every coordinator. <c>Cache-Control: no-cache</c> lets a CDN
/// or browser keep the answer but revalidate it each time, which costs a 304 when nothing changed.
/// </remarks>
public static class ETags
{
    public static IApplicationBuilder UseETags(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (!(HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)) || !Tagged(context.Request.Path))
        {
            await next(context);
            return;
        }

        var original = context.Response.Body;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        try
        {
            await next(context);
        }
        finally
        {
            context.Response.Body = original;
        }

        if (context.Response.StatusCode == StatusCodes.Status200OK)
        {
            string tag = $"\"{Convert.ToHexStringLower(SHA256.HashData(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)))[..32]}\"";
            context.Response.Headers.ETag = tag;
            context.Response.Headers.CacheControl = "no-cache";
            if (Matches(context.Request.Headers.IfNoneMatch, tag))
            {
                context.Response.StatusCode = StatusCodes.Status304NotModified;
                context.Response.ContentLength = null;
                return;
            }
        }

        buffer.Position = 0;
        await buffer.CopyToAsync(original, context.RequestAborted);
    });

    /// <summary>GET /collections, /collections/{name} and /collections/{name}/docs/{id}.</summary>
    private static bool Tagged(PathString path)
    {
        var segments = (path.Value ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
        return segments.Length > 0 && segments[0] == "collections" && (segments.Length <= 2 || (segments.Length == 4 && segments[2] == "docs"));
    }

    private static bool Matches(Microsoft.Extensions.Primitives.StringValues ifNoneMatch, string tag)
    {
        if (ifNoneMatch.Count == 0 || !EntityTagHeaderValue.TryParseList(ifNoneMatch, out var tags))
        {
            return false;
        }

        return tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Tag.Equals(tag, StringComparison.Ordinal));
    }
}
