using Mosaic.Core.Requests;

namespace Mosaic.Core.Access;

/// <summary>Which role each HTTP request needs when keys are on: the one rule of <c>../shared/API.md</c> "Access".</summary>
/// <remarks>
/// Reads (GETs, searches, embeddings, operations pages) need <see cref="ApiRole.Read"/>; writes of documents
/// (PUT/DELETE <c>/collections/{name}/docs/{id}</c>, <c>docs:bulk</c>) need <see cref="ApiRole.Write"/>; everything
/// else — collections, cluster administration, <c>/admin</c>, <c>/keys</c> (even a GET) — needs <see cref="ApiRole.Admin"/>.
/// A request the rule does not know is admin, so a new endpoint is never opened to a lower role by mistake.
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
        if (path is "/health" or "/ready" or "/signals" || (path == "/dashboard" && method is "GET" or "HEAD"))
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
        bool document = segments.Length >= 3 && segments[0] == "collections" && segments[2] is "docs" or "docs:bulk";
        return document ? ApiRole.Write : ApiRole.Admin;
    }

    private static bool Under(string path, string prefix) =>
        path.StartsWith(prefix, StringComparison.Ordinal) && (path.Length == prefix.Length || path[prefix.Length] == '/');
}
