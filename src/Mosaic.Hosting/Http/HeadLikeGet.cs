using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Mosaic.Hosting.Http;

/// <summary>Routes that take GET take HEAD too, and answer it as they answer GET, without the body (RFC 9110, 9.3.2).</summary>
/// <remarks>
/// HEAD joins the route's methods, so routing matches it, a 405 for another method lists it in <c>Allow</c>, and all that
/// runs before the handler (keys, rate limits, ETags, the serves gate) sees the same route and the same read it mirrors.
/// The handler runs as for GET; Kestrel sends the status and headers of its answer and drops the body. Before, minimal
/// APIs mapped GET only and HEAD was a 405.
/// </remarks>
public static class HeadLikeGet
{
    /// <summary>Adds HEAD to every route under <paramref name="builder"/> that takes GET.</summary>
    public static TBuilder AnswerHeadLikeGet<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        // Finally: after each route's own conventions, which may set its methods (the metrics endpoint's GET).
        builder.Finally(endpoint =>
        {
            var methods = endpoint.Metadata.OfType<IHttpMethodMetadata>().LastOrDefault();
            if (methods is not null && methods.HttpMethods.Contains(HttpMethods.Get) && !methods.HttpMethods.Contains(HttpMethods.Head))
            {
                endpoint.Metadata.Add(new HttpMethodMetadata([.. methods.HttpMethods, HttpMethods.Head], methods.AcceptCorsPreflight));
            }
        });
        return builder;
    }
}
