using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Mosaic.Contracts;
using Mosaic.Coordinator.Placement;
using Mosaic.Core.Errors;

namespace Mosaic.Hosting.Endpoints;

/// <summary>POST /collections/{name}/shards/{shard}:split and POST /cluster/nodes/{node}:drain|:undrain.</summary>
internal static class ClusterAdminEndpoints
{
    public static void MapClusterAdmin(this IEndpointRouteBuilder app)
    {
        app.MapPost("/collections/{name}/shards/{shard}:split", SplitAsync).WithTags("cluster")
            .Produces<SplitResponse>(StatusCodes.Status202Accepted).Produces<ErrorResponse>(404).Produces<ErrorResponse>(409);
        app.MapPost("/cluster/nodes/{node}:drain", (string node, ClusterAdmin admin, HttpContext context) => DrainAsync(node, true, admin, context)).WithTags("cluster")
            .Produces<DrainResponse>(StatusCodes.Status202Accepted).Produces<ErrorResponse>(404);
        app.MapPost("/cluster/nodes/{node}:undrain", (string node, ClusterAdmin admin, HttpContext context) => DrainAsync(node, false, admin, context)).WithTags("cluster")
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

    private static async Task<IResult> DrainAsync(string node, bool drained, ClusterAdmin admin, HttpContext context)
    {
        await admin.SetDrainedAsync(Uri.UnescapeDataString(node), drained, context.RequestAborted);
        return Results.Json(new DrainResponse(node, drained), MosaicJson.Api.DrainResponse, statusCode: StatusCodes.Status202Accepted);
    }
}
