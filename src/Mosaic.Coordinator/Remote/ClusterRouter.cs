using System.Collections.Concurrent;
using Grpc.Net.Client;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mosaic.Core.Changes;
using Mosaic.Core.Collections;
using Mosaic.Core.Placement;
using Mosaic.Core.Seams;

namespace Mosaic.Coordinator.Remote;

/// <summary>Routes shard queries in a cluster: serving replicas on live nodes, from a cached placement snapshot.</summary>
/// <remarks>
/// The snapshot is immutable and swapped whole when the store's placement version moves (checked on every store
/// signal and every refresh interval); node liveness is re-read each time. A replica on this very process is called
/// in-process through <paramref name="local"/>; others over one shared gRPC channel per address.
/// </remarks>
public sealed partial class ClusterRouter(
    IPlacementStore placement,
    INodeRegistry nodes,
    ChangeSignal signal,
    IOptions<CoordinatorOptions> options,
    TimeProvider time,
    ILogger<ClusterRouter> logger,
    Func<long, int, string, IShardClient?>? local = null) : BackgroundService, IShardRouter
{
    private static readonly TimeSpan RefreshEvery = TimeSpan.FromMilliseconds(500);
    private readonly ConcurrentDictionary<string, GrpcShardClientFactory> _channels = new();
    private readonly SemaphoreSlim _refreshGate = new(1, 1);
    private readonly ChangeSignal _routingChanged = new();
    private readonly ILogger<ClusterRouter> _logger = logger;
    private volatile Routing? _routing;

    /// <summary>The last placement snapshot and node list this router routes by (for /cluster and /ready).</summary>
    public async Task<(PlacementSnapshot Placement, IReadOnlyList<NodeInfo> Nodes)> CurrentAsync(CancellationToken ct)
    {
        var routing = _routing ?? await RefreshAsync(ct).ConfigureAwait(false);
        return (routing.Placement, routing.Nodes);
    }

    public async ValueTask<IReadOnlyList<IReadOnlyList<IShardClient>>> RouteAsync(CollectionInfo collection, CancellationToken ct)
    {
        var routing = _routing ?? await RefreshAsync(ct).ConfigureAwait(false);
        var routes = Build(routing, collection);
        long waitStarted = time.GetTimestamp();
        // A collection created a moment ago has no serving replica yet: wait (bounded) for placement to catch up.
        while (routes.Any(r => r.Count == 0) && time.GetElapsedTime(waitStarted) < options.Value.RouteWait && !ct.IsCancellationRequested)
        {
            long generation = _routingChanged.Generation;
            await _routingChanged.WaitAsync(generation, RefreshEvery, time, ct).ConfigureAwait(false);
            routing = _routing ?? routing;
            routes = Build(routing, collection);
        }

        return routes;
    }

    private List<IReadOnlyList<IShardClient>> Build(Routing routing, CollectionInfo collection)
    {
        var live = routing.Nodes.Where(n => n.Live).ToDictionary(n => n.NodeId);
        var routes = new List<IReadOnlyList<IShardClient>>(collection.ShardMap.ShardCount);
        for (int shard = 0; shard < collection.ShardMap.ShardCount; shard++)
        {
            var clients = new List<IShardClient>();
            foreach (var a in routing.Placement.Assignments)
            {
                if (a.CollectionId != collection.Id || a.Shard != shard || a.State != ReplicaState.Serving || !live.TryGetValue(a.NodeId, out var node))
                {
                    continue;
                }

                if (local?.Invoke(collection.Id, shard, a.NodeId) is { } inProcess)
                {
                    clients.Add(inProcess);
                }
                else if (node.Address.StartsWith("http", StringComparison.Ordinal) && node.Role.Contains("worker", StringComparison.Ordinal))
                {
                    clients.Add(_channels.GetOrAdd(node.Address, address => new GrpcShardClientFactory(address)).Client(node.NodeId));
                }
            }

            routes.Add(clients);
        }

        return routes;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            long generation = signal.Generation;
            try
            {
                await RefreshAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogRefreshFailed(ex);
            }

            try
            {
                await signal.WaitAsync(generation, RefreshEvery, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task<Routing> RefreshAsync(CancellationToken ct)
    {
        await _refreshGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var current = _routing;
            long version = await placement.GetPlacementVersionAsync(ct).ConfigureAwait(false);
            var snapshot = current is not null && current.Placement.Version == version
                ? current.Placement
                : await placement.GetPlacementAsync(ct).ConfigureAwait(false);
            var nodeList = await nodes.ListNodesAsync(ct).ConfigureAwait(false);
            var next = new Routing(snapshot, nodeList);
            _routing = next;
            _routingChanged.Notify();
            return next;
        }
        finally
        {
            _refreshGate.Release();
        }
    }

    public override void Dispose()
    {
        foreach (var factory in _channels.Values)
        {
            factory.Dispose();
        }

        base.Dispose();
    }

    private sealed record Routing(PlacementSnapshot Placement, IReadOnlyList<NodeInfo> Nodes);

    /// <summary>One HTTP/2 channel per worker address, shared by all its shard clients.</summary>
    private sealed class GrpcShardClientFactory(string address) : IDisposable
    {
        private readonly GrpcChannel _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = true,
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                KeepAlivePingDelay = TimeSpan.FromSeconds(20),
                ConnectTimeout = TimeSpan.FromSeconds(2),
            },
        });

        private readonly ConcurrentDictionary<string, GrpcShardClient> _clients = new();

        public GrpcShardClient Client(string node) => _clients.GetOrAdd(node, n => new GrpcShardClient(_channel, n));

        public void Dispose() => _channel.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not refresh routing from the store; keeping the last snapshot")]
    private partial void LogRefreshFailed(Exception ex);
}
