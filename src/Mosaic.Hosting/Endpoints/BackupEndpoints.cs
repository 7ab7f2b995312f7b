using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Mosaic.Contracts;
using Mosaic.Hosting.Backups;
using Mosaic.Hosting.Http;

namespace Mosaic.Hosting.Endpoints;

/// <summary>POST /admin/backup: a consistent copy of the store written by this node into a directory on its file system.</summary>
internal static class BackupEndpoints
{
    /// <summary>A backup request is one path; anything longer is not one.</summary>
    private const long MaxBodyBytes = 64 * 1024;

    public static void MapBackups(this IEndpointRouteBuilder app) =>
        app.MapPost("/admin/backup", BackupAsync).WithTags("operations")
            .Produces<BackupManifest>().Produces<ErrorResponse>(400).Produces<ErrorResponse>(409);

    private static async Task<IResult> BackupAsync(StoreBackups backups, HttpContext context)
    {
        var request = await RequestBody.ReadJsonAsync(context.Request, MosaicJson.Api.BackupRequest, MaxBodyBytes, "body");
        var manifest = await backups.TakeAsync(request.To, context.RequestAborted);
        return Results.Json(manifest, MosaicJson.Api.BackupManifest);
    }
}
