namespace Mosaic.Core.Requests;

/// <summary>Classifies public HTTP requests into reads and writes: the one rule both coordinators and the gateway apply.</summary>
/// <remarks>
/// Searches are POSTs yet read-only, so the method alone does not decide; a POST is a read only when its last path
/// segment is a search (<c>search</c>, <c>search:batch</c>) or it asks for embeddings. Anything not known to be a read is
/// a write, so a new endpoint is never sent to a read-only coordinator by mistake. Paths compare ignoring case, as
/// ASP.NET Core's routing matches them.
/// </remarks>
public static class ApiRequests
{
    private static readonly string[] OperationsPaths = ["/health", "/ready", "/metrics", "/cluster", "/openapi", "/dashboard", "/signals", "/advice"];

    public static ApiRequestKind Classify(string method, string path)
    {
        if (Is(method, "GET") || Is(method, "HEAD") || Is(method, "OPTIONS"))
        {
            return IsOperations(path) ? ApiRequestKind.Operations : ApiRequestKind.Read;
        }

        if (Is(method, "POST"))
        {
            string trimmed = path.TrimEnd('/');
            string last = trimmed[(trimmed.LastIndexOf('/') + 1)..];
            if (Is(last, "search") || Is(last, "search:batch") || Is(trimmed, "/v1/embeddings"))
            {
                return ApiRequestKind.Read;
            }
        }

        return ApiRequestKind.Write;
    }

    private static bool IsOperations(string path)
    {
        foreach (var prefix in OperationsPaths)
        {
            if (path.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && (path.Length == prefix.Length || path[prefix.Length] is '/' or '?'))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Is(string method, string name) => string.Equals(method, name, StringComparison.OrdinalIgnoreCase);
}
