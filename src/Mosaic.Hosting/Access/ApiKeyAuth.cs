using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Mosaic.Core.Access;
using Mosaic.Hosting.Http;

namespace Mosaic.Hosting.Access;

/// <summary>With keys on, checks <c>Authorization: Bearer &lt;key&gt;</c> against the role each request needs (<see cref="AccessRules"/>).</summary>
/// <remarks>401 for a missing, unknown or revoked key, or more than one Authorization header (with <c>WWW-Authenticate: Bearer</c>), 403 for a role too low. The
/// key found is left on the request as a feature (<c>Features.Get&lt;ApiKey&gt;()</c>) for the rate limiter.</remarks>
internal static class ApiKeyAuth
{
    public static void UseApiKeys(this WebApplication app, AuthOptions options)
    {
        if (!options.Enabled)
        {
            return;
        }

        var cache = app.Services.GetRequiredService<ApiKeyCache>();
        app.Use(async (context, next) =>
        {
            string path = context.Request.Path.Value ?? "/";
            var needed = AccessRules.RequiredRole(context.Request.Method, path);
            if (needed is not { } role)
            {
                await next(context);
                return;
            }

            // Two header lines, read as one ("Bearer a,Bearer b"), were blamed on an unknown key: say what is wrong instead.
            int headers = AuthorizationCount(context.Request.Headers[HeaderNames.Authorization]);
            string? presented = headers == 1 ? Bearer(context.Request) : null;
            var key = presented is null ? null : await cache.FindAsync(presented, context.RequestAborted);
            if (key is null)
            {
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await ApiErrors.Error(
                    StatusCodes.Status401Unauthorized,
                    "unauthorized",
                    headers > 1
                        ? $"Authorization: exactly one Authorization header is allowed, the request has {headers}"
                        : presented is null
                            ? "Authorization: keys are on (Mosaic:Auth:Enabled); send 'Authorization: Bearer <key>'"
                            : "Authorization: unknown or revoked API key").ExecuteAsync(context);
                return;
            }

            if (key.Role < role)
            {
                await ApiErrors.Error(
                    StatusCodes.Status403Forbidden,
                    "forbidden",
                    $"{context.Request.Method} {path} needs the {role.Name()} role; this key (id {key.Id}) has {key.Role.Name()}").ExecuteAsync(context);
                return;
            }

            context.Features.Set(key);
            await next(context);
        });
    }

    /// <summary>How many Authorization headers the request carries. A line holding a comma-separated list counts as the
    /// lines it was joined from: a proxy in front (the gateway's YARP among them) forwards two lines as one, "Bearer a,
    /// Bearer b", and no key holds a comma.</summary>
    private static int AuthorizationCount(StringValues values)
    {
        int count = 0;
        foreach (string? value in values)
        {
            count += value is null || !value.Contains(',', StringComparison.Ordinal)
                ? 1
                : Math.Max(1, value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Length);
        }

        return count;
    }

    private static string? Bearer(HttpRequest request)
    {
        string? header = request.Headers[HeaderNames.Authorization];
        const string scheme = "Bearer ";
        return header is not null && header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) && header.Length > scheme.Length
            ? header[scheme.Length..].Trim()
            : null;
    }
}
