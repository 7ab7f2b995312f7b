using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Mosaic.Gateway;

/// <summary>The gateway's own error answers, in the API's <c>{"error", "detail"}</c> shape.</summary>
internal static class GatewayErrors
{
    public static async Task WriteAsync(HttpContext context, int status, string code, string detail)
    {
        context.Response.Clear();
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("error", code);
        json.WriteString("detail", detail);
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted);
    }
}
