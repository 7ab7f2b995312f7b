using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mosaic.Contracts;
using Mosaic.Hosting.Observability;

namespace Mosaic.Hosting.Advice;

/// <summary>GET /advice: the advisor's latest advice (what <c>mosaic advise</c> prints).</summary>
internal static class AdviceEndpoints
{
    public static void MapAdvice(this IEndpointRouteBuilder app)
    {
        // Resolved now, so that it evaluates from the first sample on rather than from the first request.
        app.ServiceProvider.GetRequiredService<Advisor>();
        app.MapGet("/advice", async (Advisor advisor, ClusterSampler sampler, IOptions<AdviceOptions> options, HttpContext context) =>
        {
            if (advisor.Latest is not { } advice)
            {
                await sampler.LatestOrSampleAsync(context.RequestAborted);
                advice = advisor.Latest ?? advisor.Evaluate(sampler.HistoryOrLatest(options.Value.Window));
            }

            return Results.Json(advice, MosaicJson.Api.AdviceResponse);
        }).WithTags("operations").Produces<AdviceResponse>();
    }
}
