using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Mosaic.Core.Seams;

namespace Mosaic.Hosting.Access;

/// <summary>Registers API keys (the cache of look-ups and key administration) over the store's <see cref="IApiKeyStore"/>.</summary>
public static class AccessRegistration
{
    /// <summary>Binds and validates section "Mosaic:Auth".</summary>
    public static AuthOptions BindOptions(IConfiguration configuration)
    {
        var options = configuration.GetSection("Mosaic:Auth").Get<AuthOptions>() ?? new AuthOptions();
        var errors = options.Validate().ToList();
        return errors.Count == 0 ? options : throw new OptionsValidationException("Mosaic:Auth", typeof(AuthOptions), errors);
    }

    public static IServiceCollection AddMosaicAccess(this IServiceCollection services, AuthOptions options)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(Options.Create(options));
        services.TryAddSingleton<ApiKeyCache>();
        services.TryAddSingleton(sp => new KeyAdmin(sp.GetRequiredService<IApiKeyStore>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ApiKeyCache>()));
        return services;
    }
}
