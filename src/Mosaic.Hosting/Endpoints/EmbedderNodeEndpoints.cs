using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Mosaic.Contracts;
using Mosaic.Core.Seams;
using Mosaic.Core.Placement;
using Mosaic.Embedding;
using Mosaic.Hosting.Embedding;

namespace Mosaic.Hosting.Endpoints;

/// <summary>What an embedder node answers besides /v1/embeddings and /v1/models: /health, /ready and /cluster.</summary>
/// <remarks>
/// The model is loaded before the port opens (<see cref="EmbedderWarmup"/>), so an embedder that answers is ready.
/// Its /cluster lists the registered nodes and its own embedding counters; it holds no collections.
/// </remarks>
internal static class EmbedderNodeEndpoints
{
    public static void MapEmbedderNode(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", () => Results.Json(new HealthResponse("ok"), MosaicJson.Api.HealthResponse)).WithTags("operations");
        app.MapGet("/ready", () => Results.Json(new HealthResponse("ready"), MosaicJson.Api.HealthResponse)).WithTags("operations");
        app.MapGet("/cluster", ClusterAsync).WithTags("operations");
        app.MapEmbeddings();
    }

    private static async Task<IResult> ClusterAsync(INodeRegistry registry, EmbeddingStats stats, HttpContext context)
    {
        var nodes = await registry.ListNodesAsync(context.RequestAborted);
        var views = nodes.OrderBy(n => n.NodeId, StringComparer.Ordinal)
            .Select(n => new NodeResponse(n.NodeId, n.Role.Name(), n.Address, n.Live ? "alive" : "dead", n.LeaseExpiresAt)).ToList();
        return Results.Json(new ClusterResponse(views, [], Embedding: EmbeddingStatsView.Of(stats)), MosaicJson.Api.ClusterResponse);
    }
}
