namespace Mosaic.Coordinator.Caching;

/// <summary>Settings of the search result cache, section "Mosaic:Cache:Results".</summary>
/// <remarks>Memory and Redis bounds live with the cache tiers themselves (section "Mosaic:Cache").</remarks>
public sealed record ResultCacheOptions
{
    /// <summary>Serve repeated searches from the cache; off computes every search.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>
    /// Longest a coordinator trusts the collection version it read without a store change signal in between; bounds how
    /// long a lost change notification (another coordinator's write) can keep a superseded answer served.
    /// </summary>
    public TimeSpan VersionMaxAge { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Longest a search waits for the store to give the collection version; past it the search skips the cache (and is
    /// answered by the workers alone), so a hanging store does not hang searches. The read is one indexed query of at
    /// most 1,024 rows.
    /// </summary>
    public TimeSpan VersionReadTimeout { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Names the store in every cache key, so that deployments sharing one Redis never see each other's answers; by
    /// default derived from the store (PostgreSQL host, port and database, or this machine and the data directory). Set it
    /// when coordinators reach one store under different names, or they will not share L2.
    /// </summary>
    public string? Scope { get; init; }

    /// <summary>How long an answer stays in this process (L1).</summary>
    public TimeSpan LocalExpiration { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How long an answer stays in Redis (L2); a write makes it unreachable long before (its key holds the version).</summary>
    public TimeSpan Expiration { get; init; } = TimeSpan.FromMinutes(10);

    public IEnumerable<string> Validate()
    {
        if (VersionMaxAge <= TimeSpan.Zero || VersionMaxAge > TimeSpan.FromMinutes(1))
        {
            yield return "Mosaic:Cache:Results:VersionMaxAge must be within (0, 1 min]";
        }

        if (VersionReadTimeout <= TimeSpan.Zero || VersionReadTimeout > TimeSpan.FromMinutes(1))
        {
            yield return "Mosaic:Cache:Results:VersionReadTimeout must be within (0, 1 min]";
        }

        if (LocalExpiration <= TimeSpan.Zero || Expiration < LocalExpiration)
        {
            yield return "Mosaic:Cache:Results:LocalExpiration must be positive and at most Expiration";
        }
    }
}
