namespace Mosaic.Hosting.Observability;

/// <summary>
/// Log-spaced latency buckets: bucket i holds values up to 0.05 ms × 1.15^i, so a quantile read from them is off by at
/// most 15 %; <see cref="Count"/> buckets reach 240 s. Counts from several nodes add bucket by bucket, so cluster-wide
/// quantiles are exact to the bucket (averaging per-node quantiles would not be).
/// </summary>
public static class LatencyBuckets
{
    /// <summary>Buckets per histogram.</summary>
    public const int Count = 110;

    private const double FirstMs = 0.05;
    private const double Growth = 1.15;

    /// <summary>The bucket of a latency in milliseconds.</summary>
    public static int Of(double ms) => ms <= FirstMs ? 0 : Math.Min(Count - 1, (int)Math.Ceiling(Math.Log(ms / FirstMs) / Math.Log(Growth)));

    /// <summary>The upper bound of bucket <paramref name="bucket"/>, in milliseconds.</summary>
    public static double UpperMs(int bucket) => FirstMs * Math.Pow(Growth, bucket);

    /// <summary>The <paramref name="q"/> quantile (0..1) in milliseconds, as the upper bound of its bucket; null when empty.</summary>
    public static double? Quantile(IReadOnlyList<long> buckets, double q)
    {
        long total = 0;
        for (int b = 0; b < buckets.Count; b++)
        {
            total += buckets[b];
        }

        if (total == 0)
        {
            return null;
        }

        long rank = Math.Max(1, (long)Math.Ceiling(q * total));
        long seen = 0;
        for (int b = 0; b < buckets.Count; b++)
        {
            seen += buckets[b];
            if (seen >= rank)
            {
                return UpperMs(b);
            }
        }

        return UpperMs(buckets.Count - 1);
    }
}
