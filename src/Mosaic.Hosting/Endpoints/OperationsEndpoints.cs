using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Mosaic.Contracts;
using Mosaic.Core.Seams;
using Mosaic.Worker.Node;

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

    private static async Task<IResult> ReadyAsync(ICollectionCatalog catalog, WorkerNode worker, HttpContext context)
    {
        try
        {
            await catalog.ListAsync(context.RequestAborted);
        }
        catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested)
        {
            return Results.Json(new HealthResponse("unavailable", "store: " + ex.Message), MosaicJson.Api.HealthResponse, statusCode: 503);
        }

        return worker.IsReady(out string reason)
            ? Results.Json(new HealthResponse("ready"), MosaicJson.Api.HealthResponse)
            : Results.Json(new HealthResponse("unavailable", reason), MosaicJson.Api.HealthResponse, statusCode: 503);
    }

    private static async Task<IResult> ClusterAsync(ICollectionCatalog catalog, WorkerNode worker, IOptions<MosaicOptions> options, HttpContext context)
    {
        var collections = await catalog.ListAsync(context.RequestAborted);
        var address = $"http://{options.Value.Host}:{context.Connection.LocalPort}";
        var nodes = new List<NodeResponse> { new(worker.NodeName, "serve", address, "alive") };
        var views = collections.Select(c => new ClusterCollectionResponse(
            c.Name,
            c.ShardMap.Version,
            worker.Replicas(c.Id).Select(r =>
            {
                var stats = r.Stats();
                return new ClusterShardResponse(r.Shard, r.Range.ToString(), [new ReplicaResponse(worker.NodeName, stats.State, stats.Lag, stats.DocCount)]);
            }).ToList())).ToList();
        return Results.Json(new ClusterResponse(nodes, views), MosaicJson.Api.ClusterResponse);
    }
}
