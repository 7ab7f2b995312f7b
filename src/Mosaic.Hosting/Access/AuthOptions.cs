namespace Mosaic.Hosting.Access;

/// <summary>API keys, bound from configuration section "Mosaic:Auth".</summary>
public sealed record AuthOptions
{
    /// <summary>
    /// When true every request except <c>/health</c> and <c>/ready</c> needs <c>Authorization: Bearer &lt;key&gt;</c> with a
    /// role high enough for it. Off by default (an embedded server on 127.0.0.1); a node that listens beyond loopback
    /// with keys off logs a warning at start-up.
    /// </summary>
    public bool Enabled { get; init; }

    /// <summary>
    /// How long a coordinator trusts what it last read about a key. A key revoked on one coordinator stops working there
    /// at once and on every other coordinator of the store within this bound; a new key works everywhere at once.
    /// </summary>
    public TimeSpan KeyCacheTtl { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Most keys a coordinator keeps in its cache; past it the cache starts over (bounded memory against random keys).</summary>
    public int MaxCachedKeys { get; init; } = 10_000;

    public IEnumerable<string> Validate()
    {
        if (KeyCacheTtl < TimeSpan.Zero || KeyCacheTtl > TimeSpan.FromMinutes(10))
        {
            yield return "Mosaic:Auth:KeyCacheTtl must be within 0..10 minutes (it bounds how long a revoked key keeps working)";
        }

        if (MaxCachedKeys < 1)
        {
            yield return "Mosaic:Auth:MaxCachedKeys must be at least 1";
        }
    }
}
