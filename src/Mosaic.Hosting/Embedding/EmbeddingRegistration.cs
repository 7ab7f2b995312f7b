using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mosaic.Core.Seams;
using Mosaic.Embedding;
using Mosaic.Embedding.Caching;
using Mosaic.Embedding.Local;
using Mosaic.Embedding.Remote;

namespace Mosaic.Hosting.Embedding;

/// <summary>Registers text embedding: the cache in front, and behind it the model in this process or an OpenAI-compatible endpoint.</summary>
public static class EmbeddingRegistration
{
    /// <summary>Binds and validates section "Mosaic:Embedder".</summary>
    public static EmbeddingOptions BindOptions(IConfiguration configuration)
    {
        var options = configuration.GetSection("Mosaic:Embedder").Get<EmbeddingOptions>() ?? new EmbeddingOptions();
        var errors = options.Validate().ToList();
        return errors.Count == 0 ? options : throw new OptionsValidationException("Mosaic:Embedder", typeof(EmbeddingOptions), errors);
    }

    /// <summary>
    /// <see cref="IEmbedder"/> for this process: the L1/L2 cache over the model (loaded on first use) or, with
    /// <see cref="EmbeddingOptions.Url"/>, over that endpoint. L2 is the registered <see cref="IDistributedCache"/>, if any.
    /// </summary>
    public static IServiceCollection AddMosaicEmbedding(this IServiceCollection services, EmbeddingOptions options)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(Options.Create(options));
        services.TryAddSingleton<EmbeddingStats>();
        services.TryAddSingleton(sp => new LocalEmbedder(options, sp.GetRequiredService<EmbeddingStats>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<LocalEmbedder>>()));
        services.AddHttpClient(nameof(OpenAiEmbedder));
        services.TryAddSingleton<IEmbedder>(sp => new CachedEmbedder(
            Source(sp, options), options, sp.GetRequiredService<EmbeddingStats>(), sp.GetService<IDistributedCache>(), sp.GetRequiredService<ILogger<CachedEmbedder>>()));
        return services;
    }

    private static IEmbedder Source(IServiceProvider sp, EmbeddingOptions options) => options.Url is { } url
        ? new OpenAiEmbedder(sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(OpenAiEmbedder)), url, options.RemoteModel, options.Timeout, sp.GetRequiredService<EmbeddingStats>())
        : sp.GetRequiredService<LocalEmbedder>();
}
