using Mosaic.Core.Requests;

namespace Mosaic.Core.Access;

/// <summary>Which role each HTTP request needs when keys are on: the one rule of <c>../shared/API.md</c> "Access".</summary>
/// <remarks>
/// Reads (GETs, searches, embeddings, operations pages) need <see cref="ApiRole.Read"/>; writes of documents
/// (PUT/DELETE <c>/collections/{name}/docs/{id}</c>, <c>docs:bulk</c>) need <see cref="ApiRole.Write"/>; everything
/// else — collections, cluster administration, <c>/admin</c>, <c>/keys</c> (even a GET) — needs <see cref="ApiRole.Admin"/>.
/// A request the rule does not know is admin, so a new endpoint is never opened to a lower role by mistake.
/// Paths compare ignoring case, as ASP.NET Core's routing matches them: <c>GET /KEYS</c> reaches the keys endpoint, so it
/// must need what <c>GET /keys</c> needs (a case-sensitive rule once let a read key list every key that way).
/// </remarks>
public static class AccessRules
{
    /// <summary>The role the request needs; null for what needs no key: the probes (<c>/health</c>, <c>/ready</c>),
    /// <c>/signals</c>, which coordinators read from every node to draw the dashboard and which holds only request counts
    /// and latencies (the sampler has no key to send), and a GET of the <c>/dashboard</c> page itself, which is static and
    /// holds no data: a browser cannot send a key header to open it, and the page asks for a read key for
    /// <c>/dashboard/data</c>, which stays protected.</summary>
    public static ApiRole? RequiredRole(string method, string path)
    {
        if (Is(path, "/health") || Is(path, "/ready") || Is(path, "/signals") || (Is(path, "/dashboard") && (Is(method, "GET") || Is(method, "HEAD"))))
        {
            return null;
        }

        if (Under(path, "/keys") || Under(path, "/admin"))
        {
            return ApiRole.Admin;
        }

        if (ApiRequests.Classify(method, path) != ApiRequestKind.Write)
        {
            return ApiRole.Read;
        }

        var segments = path.Trim('/').Split('/');
        bool document = segments.Length >= 3 && Is(segments[0], "collections") && (Is(segments[2], "docs") || Is(segments[2], "docs:bulk"));
        return document ? ApiRole.Write : ApiRole.Admin;
    }

    private static bool Under(string path, string prefix) =>
        path.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && (path.Length == prefix.Length || path[prefix.Length] == '/');

    private static bool Is(string value, string name) => string.Equals(value, name, StringComparison.OrdinalIgnoreCase);
}
