using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Mosaic.Gateway;

/// <summary>What the gateway counts: attempts per backend and outcome, retries, and each backend's health, as Prometheus text.</summary>
/// <remarks>
/// Counters are kept per backend URL and dropped when the backend leaves the configuration (<see cref="Retain"/>), so
/// the table is bounded by the backends configured at once. Health is read from YARP's state at scrape time.
/// </remarks>
internal sealed class GatewayMetrics(IProxyStateLookup proxyState)
{
    private readonly ConcurrentDictionary<string, Counts> _backends = new(StringComparer.Ordinal);
    private long _retries;

    /// <summary>Pipeline step between load balancing and forwarding: counts the attempt before it is sent, so a reader that
    /// sees a backend idle and its count unchanged knows nothing more went to it.</summary>
    public Task CountSentAsync(HttpContext context, RequestDelegate next)
    {
        if (context.GetReverseProxyFeature().AvailableDestinations is [var destination])
        {
            Interlocked.Increment(ref CountsOf(destination).Sent);
        }

        return next(context);
    }

    public void TransportFailed(DestinationState? destination)
    {
        if (destination is not null)
        {
            Interlocked.Increment(ref CountsOf(destination).Failed);
        }
    }

    public void Retried() => Interlocked.Increment(ref _retries);

    /// <summary>Forgets the counters of backends no longer configured.</summary>
    public void Retain(IEnumerable<Backend> backends)
    {
        var keep = backends.Select(b => b.Url).ToHashSet(StringComparer.Ordinal);
        foreach (var url in _backends.Keys.Where(k => !keep.Contains(k)))
        {
            _backends.TryRemove(url, out _);
        }
    }

    /// <summary>Whether YARP currently routes to the backend (neither its active nor its passive check says unhealthy).</summary>
    public static bool IsUp(DestinationState d) => d.Health.Active != DestinationHealth.Unhealthy && d.Health.Passive != DestinationHealth.Unhealthy;

    public IReadOnlyList<DestinationState> Destinations() =>
        proxyState.TryGetCluster(GatewayProxyConfig.ClusterId, out var cluster) ? cluster.DestinationsState.AllDestinations : [];

    public string Render()
    {
        var text = new StringBuilder();
        text.AppendLine("# HELP mosaic_gateway_requests_total Attempts sent to each coordinator (a retried request counts on both).");
        text.AppendLine("# TYPE mosaic_gateway_requests_total counter");
        foreach (var (url, counts) in _backends.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"mosaic_gateway_requests_total{{backend=\"{url}\"}} {Interlocked.Read(ref counts.Sent)}");
        }

        text.AppendLine("# HELP mosaic_gateway_transport_errors_total Attempts that failed before an answer came back: refused, reset or timed out.");
        text.AppendLine("# TYPE mosaic_gateway_transport_errors_total counter");
        foreach (var (url, counts) in _backends.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"mosaic_gateway_transport_errors_total{{backend=\"{url}\"}} {Interlocked.Read(ref counts.Failed)}");
        }

        text.AppendLine("# HELP mosaic_gateway_retries_total Requests retried once on another coordinator after a transport failure.");
        text.AppendLine("# TYPE mosaic_gateway_retries_total counter");
        text.AppendLine(CultureInfo.InvariantCulture, $"mosaic_gateway_retries_total {Interlocked.Read(ref _retries)}");
        text.AppendLine("# HELP mosaic_gateway_backend_up 1 while the gateway routes to the coordinator (health checks pass), else 0.");
        text.AppendLine("# TYPE mosaic_gateway_backend_up gauge");
        foreach (var d in Destinations().OrderBy(d => d.DestinationId, StringComparer.Ordinal))
        {
            var meta = d.Model.Config.Metadata;
            string serves = meta?.GetValueOrDefault(GatewayProxyConfig.ServesKey)?.ToLowerInvariant() ?? "both";
            string backup = meta?.GetValueOrDefault(GatewayProxyConfig.BackupKey) ?? "false";
            text.AppendLine(CultureInfo.InvariantCulture, $"mosaic_gateway_backend_up{{backend=\"{d.DestinationId}\",serves=\"{serves}\",backup=\"{backup}\"}} {(IsUp(d) ? 1 : 0)}");
        }

        text.AppendLine("# HELP mosaic_gateway_backend_in_flight Requests sent to the coordinator and not answered yet.");
        text.AppendLine("# TYPE mosaic_gateway_backend_in_flight gauge");
        foreach (var d in Destinations().OrderBy(d => d.DestinationId, StringComparer.Ordinal))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"mosaic_gateway_backend_in_flight{{backend=\"{d.DestinationId}\"}} {d.ConcurrentRequestCount}");
        }

        return text.ToString();
    }

    private Counts CountsOf(DestinationState destination) => _backends.GetOrAdd(destination.DestinationId, _ => new Counts());

    private sealed class Counts
    {
        public long Sent;
        public long Failed;
    }
}
