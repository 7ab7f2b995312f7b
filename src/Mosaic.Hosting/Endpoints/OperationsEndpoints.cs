using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Mosaic.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Mosaic.Embedding;
using Mosaic.Hosting.Cluster;
using Mosaic.Hosting.Embedding;

namespace Mosaic.Hosting.Endpoints;

/// <summary>/health, /ready and /cluster.</summary>
internal static class OperationsEndpoints
{
    public static void MapOperations(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", () => Results.Json(new HealthResponse("ok"), MosaicJson.Api.HealthResponse)).WithTags("operations").Produces<HealthResponse>();
        app.MapGet("/ready", ReadyAsync).WithTags("operations").Produces<HealthResponse>().Produces<HealthResponse>(503);
        app.MapGet("/cluster", ClusterAsync).WithTags("operations").Produces<ClusterResponse>();
    }

    private static async Task<IResult> ReadyAsync(IClusterStatus status, HttpContext context)
    {
        try
        {
            var (ready, reason) = await status.ReadyAsync(context.RequestAborted);
            return ready
                ? Results.Json(new HealthResponse("ready"), MosaicJson.Api.HealthResponse)
                : Results.Json(new HealthResponse("unavailable", reason), MosaicJson.Api.HealthResponse, statusCode: 503);
        }
        catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested)
        {
            return Results.Json(new HealthResponse("unavailable", "store: " + ex.Message), MosaicJson.Api.HealthResponse, statusCode: 503);
        }
    }

    private static async Task<IResult> ClusterAsync(IClusterStatus status, IOptions<MosaicOptions> options, HttpContext context)
    {
        var cluster = await status.DescribeAsync($"http://{options.Value.Host}:{context.Connection.LocalPort}", context.RequestAborted);
        if (context.RequestServices.GetService<EmbeddingStats>() is { } embedding)
        {
            cluster = cluster with { Embedding = EmbeddingStatsView.Of(embedding) };
        }

        return Results.Json(cluster, MosaicJson.Api.ClusterResponse);
    }
}
