using System.Net;

namespace Mosaic.LoadGen.Load;

/// <summary>The only place HTTP clients are made: every request of this tool goes to http://127.0.0.1:PORT.</summary>
/// <remarks>
/// A load generator pointed at the wrong host is a denial-of-service tool, so anything but the IPv4 loopback address is
/// refused up front, and redirects (which could lead elsewhere) are not followed.
/// </remarks>
internal static class LoopbackTarget
{
    public static Uri Require(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var url))
        {
            throw new ArgumentException($"--url must be http://127.0.0.1:PORT, got '{text}'");
        }

        return Require(url);
    }

    public static Uri Require(Uri url)
    {
        if (!url.IsAbsoluteUri || url.Scheme != Uri.UriSchemeHttp || !IPAddress.TryParse(url.Host, out var ip) || !ip.Equals(IPAddress.Loopback))
        {
            throw new ArgumentException($"--url must be http://127.0.0.1:PORT (this tool only loads the local machine), got {url}");
        }

        return new Uri(url.GetLeftPart(UriPartial.Authority) + "/");
    }

    /// <summary>An HTTP/1.1 client with at most <paramref name="connections"/> pooled connections and no client-side timeout (callers set their own).</summary>
    public static HttpClient CreateClient(Uri url, int connections) => new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        MaxConnectionsPerServer = connections,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(5),
    })
    {
        BaseAddress = Require(url),
        Timeout = Timeout.InfiniteTimeSpan,
        DefaultRequestVersion = HttpVersion.Version11,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };
}
