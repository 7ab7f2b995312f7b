using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mosaic.Core.Placement;
using Mosaic.Core.Seams;
using Mosaic.Store;

namespace Mosaic.Hosting.Cluster;

/// <summary>Keeps this node registered in the store: renews its lease every third of the lease time, leaves on shutdown.</summary>
/// <remarks>A node that stops renewing (killed, hung, partitioned) drops out of routing once its lease runs out. Each
/// renewal carries the data disk as measured just before, so placement sees a filling disk within a third of a lease.</remarks>
internal sealed partial class NodeLeaseService(INodeRegistry registry, NodeLeaseService.Registration node, TimeSpan lease, TimeProvider time, ILogger<NodeLeaseService> logger) : BackgroundService
{
    private readonly ILogger<NodeLeaseService> _logger = logger;

    /// <summary>What this node registers as.</summary>
    /// <param name="Disk">Measures its data disk (nodes holding shards); null for nodes without one.</param>
    internal sealed record Registration(string NodeId, NodeRole Role, string Address, string? ShardAddress, Serves Serves, Func<NodeDisk?>? Disk);

    /// <summary>The first wait for a store that is down at start; it doubles up to <see cref="MaxStartRetry"/>.</summary>
    private static readonly TimeSpan FirstStartRetry = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxStartRetry = TimeSpan.FromSeconds(2);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Register before serving, so placement can use this node as soon as it is up. A store that is down (restarting,
        // failing over) is waited for, as a running node waits for it: exiting only made a node restarted during a store
        // restart crash-loop. Anything else (a wrong password, no such database) still fails the start.
        for (var delay = FirstStartRetry; ; delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxStartRetry.Ticks)))
        {
            try
            {
                await RenewAsync(cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (Exception ex) when (StoreFailures.IsUnavailable(ex) && !cancellationToken.IsCancellationRequested)
            {
                LogWaitingForStore(ex, node.NodeId, delay);
                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
            }
        }

        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(lease / 3, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await RenewAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogRenewFailed(ex, node.NodeId);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await registry.LeaveAsync(node.NodeId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogRenewFailed(ex, node.NodeId);
        }
    }

    private Task RenewAsync(CancellationToken ct) =>
        registry.RenewAsync(node.NodeId, node.Role, node.Address, lease, ct, node.Serves, node.ShardAddress, node.Disk?.Invoke());

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {Node} could not register: waiting for the store, next try in {Delay}")]
    private partial void LogWaitingForStore(Exception ex, string node, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {Node} could not renew its lease; retrying")]
    private partial void LogRenewFailed(Exception ex, string node);
}
