using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Mosaic.Hosting.Caching;

/// <summary>The one registration of Redis and <see cref="HybridCache"/> that every cache and limiter in a process uses.</summary>
/// <remarks>
/// <para>
/// Always: a <see cref="HybridCache"/> whose L1 is an <see cref="Microsoft.Extensions.Caching.Memory.IMemoryCache"/>
/// bounded by <see cref="CacheOptions.L1SizeLimitBytes"/> (HybridCache sizes its entries; anything else that puts entries
/// into that IMemoryCache must set their Size too).
/// </para>
/// <para>
/// With <c>Mosaic:Redis</c> set: one <see cref="IConnectionMultiplexer"/> (connected at start-up, never blocking a request)
/// and the L2 <see cref="IDistributedCache"/> on it, wrapped in <see cref="BoundedDistributedCache"/>. Without it there is
/// no IConnectionMultiplexer registered: users resolve it with <c>GetService</c> and fall back to local state.
/// </para>
/// </remarks>
public static class RedisRegistration
{
    /// <summary>Prefix of every key Mosaic writes to Redis, so a shared Redis can tell them apart.</summary>
    public const string KeyPrefix = "mosaic:";

    public static IServiceCollection AddMosaicCaching(this IServiceCollection services, string? redis, CacheOptions cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(Options.Create(cache));
        services.AddMemoryCache(o => o.SizeLimit = cache.L1SizeLimitBytes);
        if (!string.IsNullOrWhiteSpace(redis))
        {
            services.TryAddSingleton(sp => RedisConnector.Connect(redis, cache, sp.GetRequiredService<ILoggerFactory>().CreateLogger("Mosaic.Redis")));
            // Connect during start-up, not inside the first request that happens to need Redis.
            services.AddSingleton<IHostedService, RedisStartup>();
            services.TryAddSingleton<IDistributedCache>(sp =>
            {
                var multiplexer = sp.GetRequiredService<IConnectionMultiplexer>();
                var redisCache = new RedisCache(Options.Create(new RedisCacheOptions
                {
                    ConnectionMultiplexerFactory = () => Task.FromResult(multiplexer),
                    InstanceName = KeyPrefix + "c:",
                }));
                return new BoundedDistributedCache(redisCache, cache, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<BoundedDistributedCache>>());
            });
        }

        services.AddHybridCache(o =>
        {
            o.MaximumPayloadBytes = cache.MaxEntryBytes;
            o.MaximumKeyLength = 1024;
            o.DefaultEntryOptions = new HybridCacheEntryOptions
            {
                Expiration = TimeSpan.FromMinutes(10),
                LocalCacheExpiration = TimeSpan.FromMinutes(1),
            };
        });
        return services;
    }
}
