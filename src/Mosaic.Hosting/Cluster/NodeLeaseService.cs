using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mosaic.Core.Placement;
using Mosaic.Core.Seams;

namespace Mosaic.Hosting.Cluster;

/// <summary>Keeps this node registered in the store: renews its lease every third of the lease time, leaves on shutdown.</summary>
/// <remarks>A node that stops renewing (killed, hung, partitioned) drops out of routing once its lease runs out.</remarks>
internal sealed partial class NodeLeaseService(INodeRegistry registry, string nodeId, NodeRole role, string address, string? shardAddress, TimeSpan lease, Serves serves, TimeProvider time, ILogger<NodeLeaseService> logger) : BackgroundService
{
    private readonly ILogger<NodeLeaseService> _logger = logger;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Register before serving, so placement can use this node as soon as it is up.
        await registry.RenewAsync(nodeId, role, address, lease, cancellationToken, serves, shardAddress).ConfigureAwait(false);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(lease / 3, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await registry.RenewAsync(nodeId, role, address, lease, stoppingToken, serves, shardAddress).ConfigureAwait(false);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogRenewFailed(ex, nodeId);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await registry.LeaveAsync(nodeId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogRenewFailed(ex, nodeId);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {Node} could not renew its lease; retrying")]
    private partial void LogRenewFailed(Exception ex, string node);
}
