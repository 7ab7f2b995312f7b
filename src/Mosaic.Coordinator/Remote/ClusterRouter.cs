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

/// <summary>The one router, embedded and in a cluster: collections, shard maps and serving replicas on live nodes, from
/// a cached, versioned snapshot of the store.</summary>
/// <remarks>
/// The snapshot (catalog with every shard map, placement, nodes) is immutable and swapped whole. The catalog and
/// placement reload only when the store's routing version moves (checked on every store signal and every refresh
/// interval); node liveness is re-read each time. When the store is down the last snapshot keeps routing, so searches go
/// on. A replica on this very process is called in-process through <paramref name="local"/>; others over one shared
/// gRPC channel per address.
/// </remarks>
public sealed partial class ClusterRouter(
    ICollectionCatalog catalog,
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

    /// <summary>The snapshot this router routes by (for /cluster, /ready and the placement leader's view).</summary>
    public async Task<RoutingSnapshot> CurrentAsync(CancellationToken ct)
    {
        var routing = _routing ?? await RefreshRoutingAsync(ct).ConfigureAwait(false);
        return routing.Snapshot;
    }

    public async ValueTask<CollectionInfo?> FindCollectionAsync(string name, CancellationToken ct)
    {
        var routing = _routing ?? await RefreshRoutingAsync(ct).ConfigureAwait(false);
        if (routing.ByName.TryGetValue(name, out var info))
        {
            return info;
        }

        // Not in the snapshot: maybe created a moment ago through another coordinator. Only misses reach the store.
        var fresh = await catalog.GetAsync(name, ct).ConfigureAwait(false);
        if (fresh is not null)
        {
            _ = RefreshQuietlyAsync();
        }

        return fresh;
    }

    public async ValueTask<IReadOnlyList<ShardRoute>> RouteAsync(CollectionInfo collection, TimeSpan wait, CancellationToken ct)
    {
        var routing = _routing ?? await RefreshRoutingAsync(ct).ConfigureAwait(false);
        var routes = Build(routing, collection);
        bool known = routing.ById.ContainsKey(collection.Id);
        long waitStarted = time.GetTimestamp();
        // A collection created a moment ago has no serving replica yet: wait (bounded) for placement to catch up. Bounded
        // by the caller's share of its deadline too: a worker past its lease leaves its shards without a replica for good,
        // and a 400 ms search waited the whole RouteWait (3 s) for one.
        var limit = wait < options.Value.RouteWait ? wait : options.Value.RouteWait;
        TimeSpan left;
        while (routes.Any(r => r.Replicas.Count == 0) && (left = limit - time.GetElapsedTime(waitStarted)) > TimeSpan.Zero && !ct.IsCancellationRequested)
        {
            long generation = _routingChanged.Generation;
            await _routingChanged.WaitAsync(generation, left < RefreshEvery ? left : RefreshEvery, time, ct).ConfigureAwait(false);
            routing = _routing ?? routing;
            if (known && !routing.ById.ContainsKey(collection.Id))
            {
                // Dropped meanwhile: no replica will come; the read path's IsDroppedAsync turns this into a 404.
                break;
            }

            routes = Build(routing, collection);
        }

        return routes;
    }

    public async ValueTask<bool> IsDroppedAsync(CollectionInfo collection, CancellationToken ct)
    {
        var stored = await catalog.GetAsync(collection.Name, ct).ConfigureAwait(false);
        if (stored?.Id == collection.Id)
        {
            return false;
        }

        // The snapshot is behind the store (the drop's notification has not reached it yet): reload now, so that the next
        // requests answer 404 from the snapshot without asking the store.
        _ = RefreshQuietlyAsync();
        return true;
    }

    private List<ShardRoute> Build(Routing routing, CollectionInfo collection)
    {
        // The newest map this router knows for the collection; a caller's copy may be older.
        var map = routing.ById.TryGetValue(collection.Id, out var known) && known.ShardMap.Version >= collection.ShardMap.Version ? known.ShardMap : collection.ShardMap;
        var routes = new List<ShardRoute>(map.Serving.Count);
        foreach (var shard in map.Serving)
        {
            var assignments = routing.ReplicasOf(collection.Id, shard.Id);
            var clients = new List<IShardClient>(assignments.Length);
            foreach (var a in assignments)
            {
                if (a.State != ReplicaState.Serving || !routing.LiveNodes.TryGetValue(a.NodeId, out var node))
                {
                    continue;
                }

                if (local?.Invoke(collection.Id, shard.Id, a.NodeId) is { } inProcess)
                {
                    clients.Add(inProcess);
                }
                else if (node.Role.HoldsShards() && node.ShardEndpoint.StartsWith("http", StringComparison.Ordinal))
                {
                    clients.Add(_channels.GetOrAdd(node.ShardEndpoint, address => new GrpcShardClientFactory(address)).Client(node.NodeId));
                }
            }

            routes.Add(new ShardRoute(shard, clients));
        }

        return routes;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            long generation = signal.Generation;
            await RefreshQuietlyAsync(stoppingToken).ConfigureAwait(false);
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

    private async Task RefreshQuietlyAsync(CancellationToken ct = default)
    {
        try
        {
            await RefreshRoutingAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            LogRefreshFailed(ex);
        }
    }

    public async Task RefreshAsync(CancellationToken ct) => await RefreshRoutingAsync(ct).ConfigureAwait(false);

    private async Task<Routing> RefreshRoutingAsync(CancellationToken ct)
    {
        await _refreshGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var current = _routing;
            long version = await placement.GetPlacementVersionAsync(ct).ConfigureAwait(false);
            var nodeList = await nodes.ListNodesAsync(ct).ConfigureAwait(false);
            RoutingSnapshot next;
            if (current is not null && current.Version == version)
            {
                next = current.Snapshot with { Nodes = nodeList };
            }
            else
            {
                // Catalog first, placement second: a replica placed for a collection this snapshot lacks is ignored, never
                // the other way round (a shard with a map entry but a stale placement only waits for the next version).
                var collections = await catalog.ListAsync(ct).ConfigureAwait(false);
                var snapshot = await placement.GetPlacementAsync(ct).ConfigureAwait(false);
                next = new RoutingSnapshot(collections, snapshot, nodeList);
            }

            // Stamped with the version read before the catalog, not the placement's own (read after it): a drop committed
            // between the two reads left a catalog that still lists the collection under the placement's newer version,
            // the refresh after the DELETE then saw that version unchanged and kept the dropped collection routable (its
            // shards closed: 503 instead of 404) until some other change. The older stamp makes the next refresh reload.
            var routing = new Routing(next, version);
            _routing = routing;
            _routingChanged.Notify();
            return routing;
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

    /// <summary>A snapshot with its lookups built once.</summary>
    private sealed class Routing(RoutingSnapshot snapshot, long version)
    {
        // Arrays, not a lookup's groupings: every search walks its shards' replicas, and an array's foreach allocates nothing.
        private readonly Dictionary<(long, int), ReplicaAssignment[]> _replicas = snapshot.Placement.Assignments
            .GroupBy(a => (a.CollectionId, a.Shard)).ToDictionary(g => g.Key, g => g.ToArray());

        public RoutingSnapshot Snapshot { get; } = snapshot;

        /// <summary>The routing version read before the catalog: nothing in the snapshot is older than it.</summary>
        public long Version { get; } = version;

        public Dictionary<string, CollectionInfo> ByName { get; } = snapshot.Collections.ToDictionary(c => c.Name, StringComparer.Ordinal);

        public Dictionary<long, CollectionInfo> ById { get; } = snapshot.Collections.ToDictionary(c => c.Id);

        public Dictionary<string, NodeInfo> LiveNodes { get; } = snapshot.Nodes.Where(n => n.Live).ToDictionary(n => n.NodeId, StringComparer.Ordinal);

        public ReplicaAssignment[] ReplicasOf(long collection, int shard) => _replicas.TryGetValue((collection, shard), out var replicas) ? replicas : [];
    }

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
            // A fetch answers up to top_k documents of up to MaxDocumentBytes each: gRPC's default 4 MiB cap turned a
            // healthy shard's payloads (1,000 hits of 5 KB, five of 900 KB) into a failed shard and a partial answer.
            MaxReceiveMessageSize = null,
        });

        private readonly ConcurrentDictionary<string, GrpcShardClient> _clients = new();

        public GrpcShardClient Client(string node) => _clients.GetOrAdd(node, static (n, channel) => new GrpcShardClient(channel, n), _channel);

        public void Dispose() => _channel.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not refresh routing from the store; keeping the last snapshot")]
    private partial void LogRefreshFailed(Exception ex);
}

/// <summary>What routing knows: the catalog with every shard map, placement and nodes, read together.</summary>
public sealed record RoutingSnapshot(IReadOnlyList<CollectionInfo> Collections, PlacementSnapshot Placement, IReadOnlyList<NodeInfo> Nodes);
