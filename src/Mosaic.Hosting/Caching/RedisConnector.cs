using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Mosaic.Hosting.Caching;

/// <summary>Opens the one Redis connection a process shares (cache L2, rate limits), set so that Redis can never stall it.</summary>
/// <remarks>
/// abortConnect=false: a node starts, and keeps serving, while Redis is down; the multiplexer reconnects in the background.
/// Commands fail fast while disconnected (no backlog), and short timeouts bound a slow Redis. Values the configuration
/// string sets explicitly win over these defaults.
/// </remarks>
public static partial class RedisConnector
{
    /// <summary>Parses <paramref name="configuration"/> (a StackExchange.Redis configuration string) with Mosaic's defaults.</summary>
    public static ConfigurationOptions Options(string configuration, CacheOptions cache)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.ReconnectRetryPolicy = new ExponentialRetry(250, 2000);
        options.ClientName ??= "mosaic";
        int connectMs = (int)cache.RedisConnectTimeout.TotalMilliseconds;
        if (!Mentions(configuration, "connectTimeout"))
        {
            options.ConnectTimeout = connectMs;
        }

        if (!Mentions(configuration, "syncTimeout"))
        {
            options.SyncTimeout = 1000;
        }

        if (!Mentions(configuration, "asyncTimeout"))
        {
            options.AsyncTimeout = 1000;
        }

        return options;
    }

    /// <summary>Connects (waiting at most the connect timeout when Redis is down) and logs connection changes.</summary>
    public static IConnectionMultiplexer Connect(string configuration, CacheOptions cache, ILogger logger)
    {
        var options = Options(configuration, cache);
        var multiplexer = ConnectionMultiplexer.Connect(options);
        multiplexer.ConnectionFailed += (_, e) => LogConnectionFailed(logger, e.EndPoint?.ToString() ?? "?", e.FailureType.ToString());
        multiplexer.ConnectionRestored += (_, e) => LogConnectionRestored(logger, e.EndPoint?.ToString() ?? "?");
        if (multiplexer.IsConnected)
        {
            LogConnected(logger, string.Join(",", options.EndPoints));
        }
        else
        {
            LogNotConnected(logger, string.Join(",", options.EndPoints));
        }

        return multiplexer;
    }

    private static bool Mentions(string configuration, string key) => configuration.Contains(key + "=", StringComparison.OrdinalIgnoreCase);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis connected ({Endpoints})")]
    private static partial void LogConnected(ILogger logger, string endpoints);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis not reachable at start ({Endpoints}); serving without it and reconnecting in the background")]
    private static partial void LogNotConnected(ILogger logger, string endpoints);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis connection to {Endpoint} failed ({Failure}); caches and limits fall back to this process")]
    private static partial void LogConnectionFailed(ILogger logger, string endpoint, string failure);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis connection to {Endpoint} restored")]
    private static partial void LogConnectionRestored(ILogger logger, string endpoint);
}
