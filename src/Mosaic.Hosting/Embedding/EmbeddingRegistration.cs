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
    /// <see cref="IEmbedder"/> for this process: the L1/L2 cache over, in this order of preference, the endpoint of
    /// <see cref="EmbeddingOptions.Url"/>; with <paramref name="useEmbedderNodes"/>, the embedder nodes registered in the
    /// store (<see cref="EmbedderPool"/>); the model in this process (loaded on first use). L2 is the registered
    /// <see cref="IDistributedCache"/>, if any.
    /// </summary>
    public static IServiceCollection AddMosaicEmbedding(this IServiceCollection services, EmbeddingOptions options, bool useEmbedderNodes)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(Options.Create(options));
        services.TryAddSingleton<EmbeddingStats>();
        services.TryAddSingleton(sp => new LocalEmbedder(options, sp.GetRequiredService<EmbeddingStats>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<LocalEmbedder>>()));
        services.AddHttpClient(nameof(OpenAiEmbedder));
        services.TryAddSingleton<IEmbedder>(sp => new CachedEmbedder(
            Source(sp, options, useEmbedderNodes), options, sp.GetRequiredService<EmbeddingStats>(), sp.GetService<IDistributedCache>(), sp.GetRequiredService<ILogger<CachedEmbedder>>()));
        return services;
    }

    /// <summary>The embedder role: the model in this process, loaded before the node takes requests.</summary>
    public static IServiceCollection AddMosaicEmbedderNode(this IServiceCollection services, EmbeddingOptions options)
    {
        services.AddMosaicEmbedding(options with { Url = null }, useEmbedderNodes: false);
        services.AddHostedService<EmbedderWarmup>();
        return services;
    }

    private static IEmbedder Source(IServiceProvider sp, EmbeddingOptions options, bool useEmbedderNodes)
    {
        if (options.Url is { } url)
        {
            return Remote(sp, options, url, options.RemoteModel);
        }

        return useEmbedderNodes
            ? new EmbedderPool(
                sp.GetRequiredService<INodeRegistry>(), sp.GetRequiredService<LocalEmbedder>(), address => Remote(sp, options, address, null), options,
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<EmbedderPool>>())
            : sp.GetRequiredService<LocalEmbedder>();
    }

    private static OpenAiEmbedder Remote(IServiceProvider sp, EmbeddingOptions options, string url, string? remoteModel) =>
        new(sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(OpenAiEmbedder)), url, remoteModel, options, sp.GetRequiredService<EmbeddingStats>());
}
