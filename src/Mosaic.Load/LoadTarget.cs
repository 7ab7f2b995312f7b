using System.Net;
using System.Net.Http.Headers;

namespace Mosaic.Load;

/// <summary>The only place load clients are made: the target URL's checks and a pooled HTTP/1.1 client for it.</summary>
/// <remarks>
/// bench/Mosaic.LoadGen accepts only http://127.0.0.1 (<see cref="RequireLoopback(string)"/>): it is run by scripts on a
/// shared machine, where a mistyped host would load someone else's server. <c>mosaic bench</c> is an operator's tool for
/// their own deployment and takes any http(s) address. Redirects are never followed (they could lead elsewhere).
/// </remarks>
public static class LoadTarget
{
    /// <summary>An absolute http or https URL, reduced to its scheme and authority.</summary>
    public static Uri Require(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || string.IsNullOrEmpty(url.Host))
        {
            throw new ArgumentException($"--url must be an http(s) address such as http://127.0.0.1:7700, got '{text}'");
        }

        return new Uri(url.GetLeftPart(UriPartial.Authority) + "/");
    }

    /// <summary>http://127.0.0.1:PORT only.</summary>
    public static Uri RequireLoopback(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var url))
        {
            throw new ArgumentException($"--url must be http://127.0.0.1:PORT, got '{text}'");
        }

        return RequireLoopback(url);
    }

    /// <summary>http://127.0.0.1:PORT only.</summary>
    public static Uri RequireLoopback(Uri url)
    {
        if (!url.IsAbsoluteUri || url.Scheme != Uri.UriSchemeHttp || !IPAddress.TryParse(url.Host, out var ip) || !ip.Equals(IPAddress.Loopback))
        {
            throw new ArgumentException($"--url must be http://127.0.0.1:PORT (this tool only loads the local machine), got {url}");
        }

        return new Uri(url.GetLeftPart(UriPartial.Authority) + "/");
    }

    /// <summary>An HTTP/1.1 client with at most <paramref name="connections"/> pooled connections and no client-side timeout (callers set their own).</summary>
    /// <param name="apiKey">Sent as <c>Authorization: Bearer</c> when the server has keys on.</param>
    public static HttpClient CreateClient(Uri url, int connections, string? apiKey = null)
    {
        var http = new HttpClient(new SocketsHttpHandler
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
            BaseAddress = new Uri(url.GetLeftPart(UriPartial.Authority) + "/"),
            Timeout = Timeout.InfiniteTimeSpan,
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        if (!string.IsNullOrEmpty(apiKey))
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        return http;
    }
}
