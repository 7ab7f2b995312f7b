using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mosaic.Core.Access;
using Mosaic.Hosting.Caching;
using StackExchange.Redis;

namespace Mosaic.Hosting.Access;

/// <summary>Token buckets per API key: in Redis when <c>Mosaic:Redis</c> is set (one bucket shared by every coordinator),
/// else, or whenever Redis cannot answer within <see cref="RateLimitOptions.RedisTimeout"/>, in this process.</summary>
/// <remarks>
/// <para>
/// The shared bucket is one Redis hash per key, <c>mosaic:rl:{id}</c>, updated by one Lua script (atomic on the server)
/// that reads Redis's own clock, so coordinators with skewed clocks still share one rate. The braces make the id a hash
/// tag: the bucket lives in one slot of a Redis Cluster like any single key.
/// </para>
/// <para>
/// Redis being down never fails a request: the limiter falls back to the local bucket of the key and stays local for
/// <see cref="RateLimitOptions.RedisRetryAfter"/> before asking Redis again. While local, N coordinators together allow
/// up to N times the rate; that is the price of never failing.
/// </para>
/// </remarks>
public sealed partial class KeyRateLimiter(IOptions<RateLimitOptions> options, TimeProvider time, ILogger<KeyRateLimiter> logger, IConnectionMultiplexer? redis = null)
{
    private const string Script = """
        redis.replicate_commands()
        local rate = tonumber(ARGV[1])
        local capacity = tonumber(ARGV[2])
        local clock = redis.call('TIME')
        local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
        local state = redis.call('HMGET', KEYS[1], 'tokens', 'ms')
        local tokens = tonumber(state[1])
        local updated = tonumber(state[2])
        if tokens == nil or updated == nil then
          tokens = capacity
          updated = now
        end
        tokens = math.min(capacity, tokens + math.max(0, now - updated) * rate / 1000)
        local wait = 0
        if tokens >= 1 then
          tokens = tokens - 1
        else
          wait = math.ceil((1 - tokens) * 1000 / rate)
        end
        redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ms', tostring(now))
        redis.call('PEXPIRE', KEYS[1], math.ceil(capacity * 1000 / rate) + 1000)
        return wait
        """;

    private readonly ConcurrentDictionary<string, TokenBucket> _local = new(StringComparer.Ordinal);
    private readonly IConnectionMultiplexer? _redis = redis;
    private readonly ILogger<KeyRateLimiter> _logger = logger;
    private long _redisDownUntilMs;

    /// <summary>Takes one request from the key's budget; when there is none, how long until there is.</summary>
    public async ValueTask<(bool Allowed, TimeSpan RetryAfter)> TryAcquireAsync(ApiKey key, CancellationToken ct)
    {
        if (key.Rate is not double rate)
        {
            return (true, TimeSpan.Zero);
        }

        double capacity = Math.Max(1, rate * options.Value.BurstSeconds);
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (_redis is not null && now >= Volatile.Read(ref _redisDownUntilMs) && _redis.IsConnected)
        {
            try
            {
                var wait = (long)await _redis.GetDatabase()
                    .ScriptEvaluateAsync(Script, [new RedisKey($"{RedisRegistration.KeyPrefix}rl:{{{key.Id}}}")], [rate, capacity])
                    .WaitAsync(options.Value.RedisTimeout, time, ct).ConfigureAwait(false);
                return (wait == 0, TimeSpan.FromMilliseconds(Math.Clamp(wait, 0, TokenBucket.MaxRetryAfterMs)));
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                Volatile.Write(ref _redisDownUntilMs, now + (long)options.Value.RedisRetryAfter.TotalMilliseconds);
                LogRedisFailed(ex, options.Value.RedisRetryAfter);
            }
        }

        return Local(key.Id, rate, capacity, now).TryTake(now);
    }

    private TokenBucket Local(string id, double rate, double capacity, long now)
    {
        if (_local.TryGetValue(id, out var bucket) && bucket.Rate == rate && bucket.Capacity == capacity)
        {
            return bucket;
        }

        if (_local.Count >= options.Value.MaxLocalBuckets)
        {
            foreach (var (old, b) in _local)
            {
                if (b.IsFull(now))
                {
                    _local.TryRemove(old, out _);
                }
            }
        }

        // A key's rate is fixed when it is made; a different rate here means a store was replaced: start over.
        return _local.AddOrUpdate(id, _ => new TokenBucket(rate, capacity, now), (_, b) => b.Rate == rate && b.Capacity == capacity ? b : new TokenBucket(rate, capacity, now));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rate limits: Redis did not answer; limiting in this process for {RetryAfter}")]
    private partial void LogRedisFailed(Exception ex, TimeSpan retryAfter);
}
