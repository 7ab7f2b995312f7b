using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Mosaic.Core.Placement;
using Mosaic.Core.Requests;

namespace Mosaic.Hosting.Http;

/// <summary>A coordinator started with <c>--serves read</c> (or <c>write</c>) refuses the other kind of request.</summary>
/// <remarks>
/// 421 Misdirected Request: the request is fine, this node is the wrong one for it. The gateway never sends such a
/// request here (it classifies with the same <see cref="ApiRequests.Classify"/>); a client that dials a coordinator
/// directly learns which kind to look for.
/// </remarks>
internal static class ServesGate
{
    public static void UseServesGate(this WebApplication app, Serves serves)
    {
        if (serves == Serves.Both)
        {
            return;
        }

        app.Use(async (context, next) =>
        {
            var kind = ApiRequests.Classify(context.Request.Method, context.Request.Path.Value ?? "/");
            var needed = kind switch
            {
                ApiRequestKind.Read => Serves.Read,
                ApiRequestKind.Write => Serves.Write,
                _ => serves,
            };
            if ((serves & needed) != 0)
            {
                await next(context);
                return;
            }

            string mine = serves == Serves.Read ? "reads" : "writes";
            string theirs = needed == Serves.Read ? "reads (searches, GETs)" : "writes";
            await ApiErrors.Error(
                StatusCodes.Status421MisdirectedRequest,
                "misdirected",
                $"{context.Request.Method} {context.Request.Path}: this coordinator serves {mine} only (Mosaic:Coordinator:Serves); send {theirs} to a coordinator that serves them, or through the gateway").ExecuteAsync(context);
        });
    }
}
