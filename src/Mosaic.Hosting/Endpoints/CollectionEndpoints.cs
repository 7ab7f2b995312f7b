using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Mosaic.Contracts;
using Mosaic.Coordinator.Reads;
using Mosaic.Core.Errors;
using Mosaic.Core.Seams;
using Mosaic.Hosting.Http;

namespace Mosaic.Hosting.Endpoints;

/// <summary>PUT/PATCH/GET/DELETE /collections/{name} and GET /collections.</summary>
internal static class CollectionEndpoints
{
    private const long MaxSettingsBytes = 64 * 1024;

    public static void MapCollections(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/collections").WithTags("collections");
        group.MapPut("/{name}", CreateAsync)
            .Body<CreateCollectionRequest, RouteHandlerBuilder>("application/json")
            .Produces<CollectionResponse>(StatusCodes.Status201Created).Produces<CollectionResponse>().Produces<ErrorResponse>(400).Produces<ErrorResponse>(409);
        group.MapPatch("/{name}", UpdateAsync)
            .Body<UpdateCollectionRequest, RouteHandlerBuilder>("application/json")
            .Produces<CollectionResponse>(StatusCodes.Status202Accepted).Produces<CollectionResponse>().Produces<ErrorResponse>(400).Produces<ErrorResponse>(404);
        group.MapGet("/", ListAsync).Produces<CollectionListResponse>();
        group.MapGet("/{name}", GetAsync).Produces<CollectionResponse>().Produces<ErrorResponse>(404);
        group.MapDelete("/{name}", DeleteAsync).Produces<DeletedResponse>().Produces<ErrorResponse>(404);
    }

    private static async Task<IResult> CreateAsync(string name, HttpRequest request, ICollectionCatalog catalog, IShardRouter router)
    {
        var body = await RequestBody.ReadJsonAsync(request, MosaicJson.Api.CreateCollectionRequest, MaxSettingsBytes, "body");
        var spec = ContractMapping.ToSpec(name, body);
        var (info, created) = await catalog.CreateAsync(spec, request.HttpContext.RequestAborted);
        await router.RefreshAsync(request.HttpContext.RequestAborted);
        return Results.Json(ContractMapping.ToResponse(info.Spec), MosaicJson.Api.CollectionResponse, statusCode: created ? 201 : 200);
    }

    /// <summary>Changes the collection's replica count R. In a cluster the answer is 202: the placement leader adds or
    /// removes replicas from the next round on (GET /cluster shows them, and any shortfall). Embedded it is 200: the one
    /// node holds one replica of each shard whatever R says, and R is what each shard gets once the data moves to a
    /// cluster (mosaic migrate), as with a collection created with replicas above 1.</summary>
    private static async Task<IResult> UpdateAsync(string name, HttpRequest request, ICollectionCatalog catalog, IShardRouter router, IOptions<MosaicOptions> mosaic)
    {
        int replicas = await ReplicaChange.ReadAsync(request);
        var info = await catalog.SetReplicasAsync(name, replicas, request.HttpContext.RequestAborted)
            ?? throw MosaicException.NotFound($"collection '{name}' does not exist");
        await router.RefreshAsync(request.HttpContext.RequestAborted);
        return Results.Json(ContractMapping.ToResponse(info.Spec), MosaicJson.Api.CollectionResponse,
            statusCode: mosaic.Value.Embedded ? StatusCodes.Status200OK : StatusCodes.Status202Accepted);
    }

    private static async Task<IResult> ListAsync(ICollectionCatalog catalog, HttpContext context)
    {
        var all = await catalog.ListAsync(context.RequestAborted);
        return Results.Json(new CollectionListResponse(all.Select(c => ContractMapping.ToResponse(c.Spec)).ToList()), MosaicJson.Api.CollectionListResponse);
    }

    private static async Task<IResult> GetAsync(string name, IShardRouter router, IDocumentStore store, ReadPath reads, HttpContext context)
    {
        var info = await router.FindCollectionAsync(name, context.RequestAborted) ?? throw MosaicException.NotFound($"collection '{name}' does not exist");
        long count = await store.CountAsync(info, context.RequestAborted);
        var stats = await reads.ShardStatsAsync(info, context.RequestAborted);
        var shards = stats.Select(x => x.Stats is not { } s
            ? new ShardStatsResponse(x.Shard.Id, x.Shard.Range.ToString(), "unavailable", 0, 0, 0, 0, 0)
            : new ShardStatsResponse(s.Shard, s.Range, s.State, s.DocCount, s.VectorCount, s.Bytes, s.AppliedChanges, s.Lag)).ToList();
        return Results.Json(ContractMapping.ToResponse(info.Spec, count, shards), MosaicJson.Api.CollectionResponse);
    }

    private static async Task<IResult> DeleteAsync(string name, ICollectionCatalog catalog, IShardRouter router, HttpContext context)
    {
        bool deleted = await catalog.DeleteAsync(name, context.RequestAborted);
        await router.RefreshAsync(context.RequestAborted);
        return deleted
            ? Results.Json(new DeletedResponse(name, true), MosaicJson.Api.DeletedResponse)
            : throw MosaicException.NotFound($"collection '{name}' does not exist");
    }
}
