using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Mosaic.Coordinator;
using Mosaic.Coordinator.Writes;

namespace Mosaic.Hosting.Http;

/// <summary>The document id of a single-document route (<c>/collections/{name}/docs/{id}</c>), decoded exactly once and
/// checked by the one id rule (<see cref="DocumentValidator.ValidateId"/>) that bulk lines meet too.</summary>
/// <remarks>
/// Kestrel decodes the path before routing except for <c>%2F</c>, so the route value is ambiguous: an id
/// <c>https://example.com/a</c> (sent as <c>https%3A%2F%2Fexample.com%2Fa</c>) arrives as <c>https:%2F%2Fexample.com%2Fa</c>,
/// and the literal id <c>100%2F</c> (sent as <c>100%252F</c>) arrives as the same text as the id <c>100/</c>. Only the raw
/// request target tells them apart, so the id is taken from it and percent-decoded once, every escape alike (UTF-8
/// included). A raw target that is not in the expected shape (absolute-form, raw non-ASCII bytes) falls back to the
/// route value, which Kestrel has already decoded.
/// <para>Every route checks the id before it looks anything up: a GET of a 600-byte id was a 404 while its DELETE was a 400.</para>
/// </remarks>
internal static class DocumentIds
{
    /// <summary>Segments of <c>/collections/{name}/docs/{id}</c> when split on '/': "", collections, name, docs, id.</summary>
    private const int IdSegment = 4;

    public static string FromRoute(HttpContext context, string routeValue, CoordinatorOptions options)
    {
        string id = Decode(context, routeValue);
        DocumentValidator.ValidateId(id, options);
        return id;
    }

    private static string Decode(HttpContext context, string routeValue)
    {
        string? raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw) || raw[0] != '/')
        {
            return routeValue;
        }

        int query = raw.IndexOf('?', StringComparison.Ordinal);
        var path = query < 0 ? raw.AsSpan() : raw.AsSpan(0, query);
        Span<Range> parts = stackalloc Range[IdSegment + 2];
        int count = path.Split(parts, '/');
        if (count != IdSegment + 1 || !path[parts[IdSegment - 1]].SequenceEqual("docs") || !IsAscii(path[parts[IdSegment]]))
        {
            return routeValue;
        }

        return Uri.UnescapeDataString(path[parts[IdSegment]].ToString());
    }

    private static bool IsAscii(ReadOnlySpan<char> text) => System.Text.Ascii.IsValid(text);
}
