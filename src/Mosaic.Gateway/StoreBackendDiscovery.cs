using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mosaic.Core.Placement;
using Mosaic.Core.Seams;
using Yarp.ReverseProxy.Configuration;

namespace Mosaic.Gateway;

/// <summary>Keeps the gateway's backends equal to the live coordinators in the cluster store's node registry.</summary>
/// <remarks>
/// A coordinator that starts registers with its <see cref="Serves"/>; one that stops cleanly leaves, one that dies drops
/// out when its lease runs out (until then the health checks and retries cover it). When the store cannot be read the
/// last list stays: a store outage must not empty the gateway. Backups from <see cref="GatewayOptions.Backups"/> are
/// always kept.
/// </remarks>
internal sealed partial class StoreBackendDiscovery(
    INodeRegistry registry, InMemoryConfigProvider proxyConfig, GatewayMetrics metrics, IOptions<GatewayOptions> options, TimeProvider time, ILogger<StoreBackendDiscovery> logger)
    : BackgroundService
{
    private readonly GatewayOptions _options = options.Value;
    private string _current = "";

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // One read before the gateway listens, so it starts with its backends instead of answering 503 for a second.
        await RefreshAsync(cancellationToken).ConfigureAwait(false);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.DiscoveryInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            await RefreshAsync(stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task RefreshAsync(CancellationToken ct)
    {
        IReadOnlyList<NodeInfo> nodes;
        try
        {
            nodes = await registry.ListNodesAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            LogStoreFailed(ex);
            return;
        }

        var backends = nodes
            .Where(n => n.Live && IsCoordinator(n) && n.Address.StartsWith("http", StringComparison.Ordinal))
            .Select(n => new Backend(n.Address.TrimEnd('/'), n.Serves, Backup: false))
            .Concat(_options.StaticBackends().Where(b => b.Backup))
            .OrderBy(b => b.Url, StringComparer.Ordinal)
            .ToList();
        string key = string.Join(' ', backends);
        if (key == _current)
        {
            return;
        }

        _current = key;
        LogBackends(backends.Count, key);
        proxyConfig.Update(GatewayProxyConfig.Routes(), GatewayProxyConfig.Clusters(_options, backends));
        metrics.Retain(backends);
    }

    // ToString, so this reads the same whether the registry's role is a string or an enum.
    private static bool IsCoordinator(NodeInfo node) =>
        node.Role.ToString() is { } role && (role.Equals("coordinator", StringComparison.OrdinalIgnoreCase) || role.Equals("serve", StringComparison.OrdinalIgnoreCase));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the coordinators from the store; keeping the last list")]
    private partial void LogStoreFailed(Exception ex);

    [LoggerMessage(Level = LogLevel.Information, Message = "Gateway backends now {Count}: {Backends}")]
    private partial void LogBackends(int count, string backends);
}
