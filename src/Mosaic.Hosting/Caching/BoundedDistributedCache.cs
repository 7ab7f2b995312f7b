using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Logging;

namespace Mosaic.Hosting.Caching;

/// <summary>
/// The L2 cache as the rest of Mosaic sees it: Redis behind a time bound and a breaker, so it can only ever be a miss.
/// </summary>
/// <remarks>
/// Every call is bounded by <see cref="CacheOptions.L2Timeout"/>; a timeout or error is a miss (reads) or a skipped write,
/// and opens the breaker: for <see cref="CacheOptions.L2RetryAfter"/> no call reaches Redis at all, so a dead or paused
/// Redis costs one request one timeout, not every request. The caller's cancellation is honoured as such.
/// </remarks>
public sealed partial class BoundedDistributedCache : IDistributedCache
{
    private readonly IDistributedCache _inner;
    private readonly CacheOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private long _skipUntilTicks;

    public BoundedDistributedCache(IDistributedCache inner, CacheOptions options, TimeProvider time, ILogger<BoundedDistributedCache> logger)
    {
        _inner = inner;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>False while the breaker is open after a failure.</summary>
    public bool Available => _time.GetUtcNow().UtcTicks >= Volatile.Read(ref _skipUntilTicks);

    public byte[]? Get(string key) => GetAsync(key).GetAwaiter().GetResult();

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        if (!Available)
        {
            return null;
        }

        try
        {
            return await _inner.GetAsync(key, token).WaitAsync(_options.L2Timeout, _time, token).ConfigureAwait(false);
        }
        catch (Exception ex) when (!token.IsCancellationRequested)
        {
            Trip(ex);
            return null;
        }
    }

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => SetAsync(key, value, options).GetAwaiter().GetResult();

    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
        BoundedAsync(t => _inner.SetAsync(key, value, options, t), token);

    public void Refresh(string key) => RefreshAsync(key).GetAwaiter().GetResult();

    public Task RefreshAsync(string key, CancellationToken token = default) => BoundedAsync(t => _inner.RefreshAsync(key, t), token);

    public void Remove(string key) => RemoveAsync(key).GetAwaiter().GetResult();

    public Task RemoveAsync(string key, CancellationToken token = default) => BoundedAsync(t => _inner.RemoveAsync(key, t), token);

    private async Task BoundedAsync(Func<CancellationToken, Task> call, CancellationToken token)
    {
        if (!Available)
        {
            return;
        }

        try
        {
            await call(token).WaitAsync(_options.L2Timeout, _time, token).ConfigureAwait(false);
        }
        catch (Exception ex) when (!token.IsCancellationRequested)
        {
            Trip(ex);
        }
    }

    private void Trip(Exception ex)
    {
        long until = _time.GetUtcNow().Add(_options.L2RetryAfter).UtcTicks;
        // Log once per opening, not once per request that found it open.
        if (Interlocked.Exchange(ref _skipUntilTicks, until) < _time.GetUtcNow().UtcTicks)
        {
            LogL2Unavailable(_logger, _options.L2RetryAfter.TotalMilliseconds, ex.GetType().Name, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "L2 cache (Redis) failed or was slow; skipping it for {RetryAfterMs} ms ({Error}: {Detail})")]
    private static partial void LogL2Unavailable(ILogger logger, double retryAfterMs, string error, string detail);
}
