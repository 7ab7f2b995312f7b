using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Mosaic.Contracts;
using Mosaic.Hosting.Access;
using Mosaic.Hosting.Http;

namespace Mosaic.Hosting.Endpoints;

/// <summary>POST /keys, GET /keys, DELETE /keys/{id}: API keys (admin role when keys are on).</summary>
internal static class KeyEndpoints
{
    private const long MaxBodyBytes = 4096;

    public static void MapKeys(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/keys").WithTags("keys");
        group.MapPost("/", CreateAsync).Body<CreateKeyRequest, RouteHandlerBuilder>("application/json")
            .Produces<KeyResponse>(StatusCodes.Status201Created).Produces<ErrorResponse>(400);
        group.MapGet("/", async (KeyAdmin keys, HttpContext context) =>
            Results.Json(new KeyListResponse(await keys.ListAsync(context.RequestAborted)), MosaicJson.Api.KeyListResponse)).Produces<KeyListResponse>();
        group.MapDelete("/{id}", async (string id, KeyAdmin keys, HttpContext context) =>
            Results.Json(await keys.RevokeAsync(id, context.RequestAborted), MosaicJson.Api.KeyResponse)).Produces<KeyResponse>().Produces<ErrorResponse>(404);
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, KeyAdmin keys)
    {
        var body = await RequestBody.ReadJsonAsync(request, MosaicJson.Api.CreateKeyRequest, MaxBodyBytes, "body");
        var created = await keys.CreateAsync(body.Role, body.Rate, request.HttpContext.RequestAborted);
        return Results.Json(created, MosaicJson.Api.KeyResponse, statusCode: StatusCodes.Status201Created);
    }
}
