namespace Mosaic.Hosting.Access;

/// <summary>Per-key rate limits, bound from configuration section "Mosaic:RateLimits".</summary>
/// <remarks>A key made with <c>--rate N</c> may make N requests per second: a token bucket that refills N tokens a second
/// and holds at most N × <see cref="BurstSeconds"/> (at least 1), so an idle key may spend that many at once.</remarks>
public sealed record RateLimitOptions
{
    /// <summary>How many seconds of a key's rate its bucket holds: the burst an idle key may send at once.</summary>
    public double BurstSeconds { get; init; } = 1;

    /// <summary>Longest wait for the shared bucket in Redis; past it this request is limited locally instead.</summary>
    public TimeSpan RedisTimeout { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>After Redis fails a request, limits stay local this long before Redis is tried again (no timeout paid per request).</summary>
    public TimeSpan RedisRetryAfter { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Most local buckets kept; past it full (idle) buckets are dropped, since a full bucket is what a new one is.</summary>
    public int MaxLocalBuckets { get; init; } = 10_000;

    public IEnumerable<string> Validate()
    {
        if (!double.IsFinite(BurstSeconds) || BurstSeconds <= 0 || BurstSeconds > 3600)
        {
            yield return "Mosaic:RateLimits:BurstSeconds must be within (0, 3600]";
        }

        if (RedisTimeout <= TimeSpan.Zero || RedisRetryAfter < TimeSpan.Zero)
        {
            yield return "Mosaic:RateLimits:RedisTimeout must be positive and RedisRetryAfter not negative";
        }

        if (MaxLocalBuckets < 1)
        {
            yield return "Mosaic:RateLimits:MaxLocalBuckets must be at least 1";
        }
    }
}
