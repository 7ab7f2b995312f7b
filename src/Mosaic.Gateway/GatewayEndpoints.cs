using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Mosaic.Gateway;

/// <summary>The gateway's own /health, /ready and /metrics (everything else is proxied).</summary>
internal static class GatewayEndpoints
{
    /// <summary>HEAD answers as GET does, without the body (RFC 9110, 9.3.2), as on the coordinators.</summary>
    private static readonly string[] GetAndHead = [HttpMethods.Get, HttpMethods.Head];

    public static void MapGatewayEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/health", GetAndHead, (HttpContext context) => WriteStatusAsync(context, 200, "ok", null));
        app.MapMethods("/ready", GetAndHead, (HttpContext context, GatewayMetrics metrics) =>
        {
            var destinations = metrics.Destinations();
            int up = destinations.Count(GatewayMetrics.IsUp);
            return up > 0
                ? WriteStatusAsync(context, 200, "ready", null)
                : WriteStatusAsync(context, 503, "unavailable", destinations.Count == 0 ? "no coordinators known" : $"none of {destinations.Count} coordinators passes its health checks");
        });
        app.MapMethods("/metrics", GetAndHead, (GatewayMetrics metrics) => Results.Text(metrics.Render(), "text/plain; version=0.0.4; charset=utf-8"));
    }

    private static async Task WriteStatusAsync(HttpContext context, int status, string state, string? reason)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("status", state);
        if (reason is not null)
        {
            json.WriteString("reason", reason);
        }

        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted);
    }
}
