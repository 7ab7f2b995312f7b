using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Transforms;

namespace Mosaic.Gateway;

/// <summary>Forwards the request target exactly as the client sent it, so a document id is decoded exactly once, by the
/// coordinator.</summary>
/// <remarks>
/// YARP rebuilds the outgoing path from the decoded one, and Kestrel decodes every escape but <c>%2F</c>: the id
/// <c>100%2F</c> (sent as <c>100%252F</c>) would reach the coordinator as <c>100%2F</c> and be read as <c>100/</c>.
/// The raw target has only the client's escapes. A target that is not a plain path (absolute-form) is left to YARP.
/// </remarks>
internal static class RawTargetTransform
{
    public static void Apply(RequestTransformContext context)
    {
        string? raw = context.HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw) || raw[0] != '/' || raw.StartsWith("//", StringComparison.Ordinal))
        {
            return;
        }

        // Not canonicalized: System.Uri would unescape %2E and resolve dot segments, turning DELETE .../docs/%2E%2E (the
        // document "..") into DELETE of the collection; the coordinator refuses such a target instead.
        context.ProxyRequest.RequestUri = new Uri(context.DestinationPrefix.TrimEnd('/') + raw, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
    }
}
