using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Mosaic.Core.Seams;

namespace Mosaic.Hosting.Access;

/// <summary>Registers API keys (the cache of look-ups, key administration, rate limits) over the store's <see cref="IApiKeyStore"/>.</summary>
public static class AccessRegistration
{
    /// <summary>Binds and validates section "Mosaic:Auth".</summary>
    public static AuthOptions BindOptions(IConfiguration configuration)
    {
        var options = configuration.GetSection("Mosaic:Auth").Get<AuthOptions>() ?? new AuthOptions();
        var errors = options.Validate().ToList();
        return errors.Count == 0 ? options : throw new OptionsValidationException("Mosaic:Auth", typeof(AuthOptions), errors);
    }

    /// <summary>Binds and validates section "Mosaic:RateLimits".</summary>
    public static RateLimitOptions BindRateLimits(IConfiguration configuration)
    {
        var options = configuration.GetSection("Mosaic:RateLimits").Get<RateLimitOptions>() ?? new RateLimitOptions();
        var errors = options.Validate().ToList();
        return errors.Count == 0 ? options : throw new OptionsValidationException("Mosaic:RateLimits", typeof(RateLimitOptions), errors);
    }

    /// <summary>Key look-ups, key administration and per-key rate limits (shared through the registered Redis, if any).</summary>
    public static IServiceCollection AddMosaicAccess(this IServiceCollection services, AuthOptions options, RateLimitOptions? limits = null)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(Options.Create(options));
        services.TryAddSingleton(Options.Create(limits ?? new RateLimitOptions()));
        services.TryAddSingleton<KeyRateLimiter>();
        services.TryAddSingleton<ApiKeyCache>();
        services.TryAddSingleton(sp => new KeyAdmin(sp.GetRequiredService<IApiKeyStore>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ApiKeyCache>()));
        return services;
    }
}
