using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Mosaic.Core.Access;
using Mosaic.Hosting.Http;

namespace Mosaic.Hosting.Access;

/// <summary>With keys on, spends one token of the request's key (<see cref="KeyRateLimiter"/>); none left is 429 with
/// <c>Retry-After</c> in whole seconds. Runs after <see cref="ApiKeyAuth"/>, which left the key on the request.</summary>
internal static class RateLimits
{
    public static void UseRateLimits(this WebApplication app, AuthOptions auth)
    {
        if (!auth.Enabled)
        {
            return;
        }

        var limiter = app.Services.GetRequiredService<KeyRateLimiter>();
        app.Use(async (context, next) =>
        {
            if (context.Features.Get<ApiKey>() is { Rate: not null } key)
            {
                var (allowed, retryAfter) = await limiter.TryAcquireAsync(key, context.RequestAborted);
                if (!allowed)
                {
                    int seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
                    context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                    await ApiErrors.Error(
                        StatusCodes.Status429TooManyRequests,
                        "rate_limited",
                        $"key {key.Id} may make {key.Rate.Value.ToString(CultureInfo.InvariantCulture)} requests per second; retry after {seconds} s").ExecuteAsync(context);
                    return;
                }
            }

            await next(context);
        });
    }
}
