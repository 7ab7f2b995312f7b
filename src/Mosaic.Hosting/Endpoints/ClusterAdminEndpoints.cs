using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Mosaic.Contracts;
using Mosaic.Coordinator.Placement;
using Mosaic.Core.Errors;
using Mosaic.Hosting.Cluster;

namespace Mosaic.Hosting.Endpoints;

/// <summary>POST /collections/{name}/shards/{shard}:split and POST /cluster/nodes/{node}:drain|:undrain.</summary>
internal static class ClusterAdminEndpoints
{
    public static void MapClusterAdmin(this IEndpointRouteBuilder app)
    {
        app.MapPost("/collections/{name}/shards/{shard}:split", SplitAsync).WithTags("cluster")
            .Produces<SplitResponse>(StatusCodes.Status202Accepted).Produces<ErrorResponse>(404).Produces<ErrorResponse>(409);
        app.MapPost("/cluster/nodes/{node}:drain", (string node, ClusterAdmin admin, IClusterStatus status, HttpContext context) => DrainAsync(node, true, admin, status, context)).WithTags("cluster")
            .Produces<DrainResponse>(StatusCodes.Status202Accepted).Produces<ErrorResponse>(404);
        app.MapPost("/cluster/nodes/{node}:undrain", (string node, ClusterAdmin admin, IClusterStatus status, HttpContext context) => DrainAsync(node, false, admin, status, context)).WithTags("cluster")
            .Produces<DrainResponse>(StatusCodes.Status202Accepted).Produces<ErrorResponse>(404);
    }

    private static async Task<IResult> SplitAsync(string name, string shard, ClusterAdmin admin, HttpContext context)
    {
        if (!int.TryParse(shard, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int id))
        {
            throw MosaicException.Invalid($"shard: '{shard}' is not a shard id (a non-negative number)");
        }

        var (parent, children) = await admin.SplitAsync(name, id, context.RequestAborted);
        return Results.Json(new SplitResponse(parent, [.. children]), MosaicJson.Api.SplitResponse, statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>A drain is accepted even when its replicas have nowhere to go yet (it waits and goes on by itself once a
    /// place appears); the answer says at once whether it moves or is blocked, and why, as /cluster goes on saying.</summary>
    private static async Task<IResult> DrainAsync(string node, bool drained, ClusterAdmin admin, IClusterStatus status, HttpContext context)
    {
        string id = Uri.UnescapeDataString(node);
        await admin.SetDrainedAsync(id, drained, context.RequestAborted);
        var progress = drained ? (await status.DescribeAsync("", context.RequestAborted)).Nodes.FirstOrDefault(n => n.Name == id)?.Drain : null;
        return Results.Json(new DrainResponse(node, drained, progress), MosaicJson.Api.DrainResponse, statusCode: StatusCodes.Status202Accepted);
    }
}
