namespace Mosaic.Hosting.Http;

/// <summary>Mosaic's limits on a request's line and headers, section "Mosaic:Http"; past them the answer is 414 or 431 with the API's error body.</summary>
/// <remarks>
/// The defaults are Kestrel's own (8 KiB line, 32 KiB of headers, 100 headers). Kestrel itself is given
/// <see cref="RequestLimits.KestrelFactor"/> times these as its hard ceiling (see <see cref="RequestLimits"/>), so at most 1 MiB,
/// its request buffer.
/// </remarks>
public sealed record RequestLimitsOptions
{
    /// <summary>Most bytes in the request line (method, target, version, and the spaces and line end between them).</summary>
    public int MaxRequestLineBytes { get; init; } = 8 << 10;

    /// <summary>Most bytes in all header lines together (name, ": ", value and line end of each).</summary>
    public int MaxRequestHeadersBytes { get; init; } = 32 << 10;

    /// <summary>Most header lines in one request.</summary>
    public int MaxRequestHeaderCount { get; init; } = 100;

    /// <summary>The largest value each byte limit may take: <see cref="RequestLimits.KestrelFactor"/> times it is still within
    /// Kestrel's request buffer (1 MiB), which Kestrel requires of its own limits.</summary>
    public const int MaxBytesLimit = 256 << 10;

    public IEnumerable<string> Validate()
    {
        if (MaxRequestLineBytes is < 1024 or > MaxBytesLimit)
        {
            yield return $"Mosaic:Http:MaxRequestLineBytes must be within 1024..{MaxBytesLimit}, got {MaxRequestLineBytes}";
        }

        if (MaxRequestHeadersBytes is < 1024 or > MaxBytesLimit)
        {
            yield return $"Mosaic:Http:MaxRequestHeadersBytes must be within 1024..{MaxBytesLimit}, got {MaxRequestHeadersBytes}";
        }

        if (MaxRequestHeaderCount is < 16 or > 10_000)
        {
            yield return $"Mosaic:Http:MaxRequestHeaderCount must be within 16..10000, got {MaxRequestHeaderCount}";
        }
    }
}
