namespace Mosaic.Hosting.Caching;

/// <summary>Settings of the two-tier cache (L1 in process, L2 in Redis when <c>Mosaic:Redis</c> is set), section "Mosaic:Cache".</summary>
/// <remarks>
/// Redis is an accelerator, never a dependency: every L2 call is bounded by <see cref="L2Timeout"/>, and after a failure
/// L2 is skipped for <see cref="L2RetryAfter"/>, so a slow or dead Redis costs a request at most one timeout.
/// </remarks>
public sealed record CacheOptions
{
    /// <summary>Upper bound of the bytes the in-process (L1) cache holds; entries are evicted past it.</summary>
    public long L1SizeLimitBytes { get; init; } = 64L << 20;

    /// <summary>Largest cached value; larger results are computed every time rather than cached.</summary>
    public int MaxEntryBytes { get; init; } = 1 << 20;

    /// <summary>How long one L2 (Redis) read or write may take before it counts as a miss (and a failure).</summary>
    public TimeSpan L2Timeout { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>After an L2 failure, how long L2 is skipped before it is tried again.</summary>
    public TimeSpan L2RetryAfter { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest a Redis connection attempt blocks start-up; the connection keeps retrying in the background.</summary>
    public TimeSpan RedisConnectTimeout { get; init; } = TimeSpan.FromSeconds(1);

    public IEnumerable<string> Validate()
    {
        if (L1SizeLimitBytes < 1 << 10)
        {
            yield return "Mosaic:Cache:L1SizeLimitBytes must be at least 1024";
        }

        if (MaxEntryBytes < 1 << 10 || MaxEntryBytes > L1SizeLimitBytes)
        {
            yield return "Mosaic:Cache:MaxEntryBytes must be at least 1024 and at most L1SizeLimitBytes";
        }

        if (L2Timeout <= TimeSpan.Zero || L2Timeout > TimeSpan.FromSeconds(10))
        {
            yield return "Mosaic:Cache:L2Timeout must be within (0, 10 s]";
        }

        if (L2RetryAfter < TimeSpan.Zero)
        {
            yield return "Mosaic:Cache:L2RetryAfter must not be negative";
        }

        if (RedisConnectTimeout <= TimeSpan.Zero || RedisConnectTimeout > TimeSpan.FromSeconds(30))
        {
            yield return "Mosaic:Cache:RedisConnectTimeout must be within (0, 30 s]";
        }
    }
}
