namespace Mosaic.Hosting;

/// <summary>Process-wide settings, bound from configuration section "Mosaic" (appsettings.json, MOSAIC__* env vars, flags).</summary>
public sealed record MosaicOptions
{
    /// <summary>Where the store file and shard files live.</summary>
    public string DataDir { get; init; } = "mosaic-data";

    /// <summary>Address the HTTP API listens on; loopback by default so nothing is exposed by accident.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>HTTP port; 0 picks a free one.</summary>
    public int Port { get; init; } = 7700;

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(DataDir))
        {
            yield return "Mosaic:DataDir must name a directory";
        }

        if (Port is < 0 or > 65535)
        {
            yield return $"Mosaic:Port must be within 0..65535, got {Port}";
        }

        if (!System.Net.IPAddress.TryParse(Host, out _) && Host != "localhost")
        {
            yield return $"Mosaic:Host must be an IP address or localhost, got '{Host}'";
        }
    }
}
