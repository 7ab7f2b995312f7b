using Microsoft.AspNetCore.Builder;

namespace Mosaic.Hosting.Http;

/// <summary>Every answer names the node that produced it in the <c>Mosaic-Node</c> header.</summary>
/// <remarks>
/// Behind a gateway or nginx this is how a client (and the tests) see which coordinator answered: the balancers pass it
/// through untouched, so request distribution is counted from the answers themselves, not from the balancer's word.
/// </remarks>
internal static class NodeHeader
{
    public const string Name = "Mosaic-Node";

    public static void UseNodeHeader(this WebApplication app, string nodeId) =>
        app.Use((context, next) =>
        {
            context.Response.Headers[Name] = nodeId;
            return next(context);
        });
}
