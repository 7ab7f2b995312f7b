using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace Mosaic.Hosting.Caching;

/// <summary>Resolves the Redis connection while the host starts, so its (bounded) connect wait is never a request's.</summary>
internal sealed class RedisStartup(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = services.GetService(typeof(IConnectionMultiplexer));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
