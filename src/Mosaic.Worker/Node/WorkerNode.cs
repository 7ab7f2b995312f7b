using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mosaic.Core.Changes;
using Mosaic.Core.Collections;
using Mosaic.Core.Seams;
using Mosaic.Worker.Shards;

namespace Mosaic.Worker.Node;

/// <summary>The worker role: holds replicas of the shards assigned to this node and keeps them in step with the catalog.</summary>
/// <remarks>
/// Embedded, every shard of every collection is assigned here. The node reacts to catalog changes (new and dropped
/// collections) and removes shard directories of collections that no longer exist.
/// </remarks>
public sealed partial class WorkerNode : BackgroundService, IShardRouter
{
    private readonly ICollectionCatalog _catalog;
    private readonly IChangeLog _log;
    private readonly ChangeSignal _signal;
    private readonly WorkerOptions _options;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger<WorkerNode> _logger;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _syncGate = new(1, 1);
    private Dictionary<long, Holding> _held = [];

    public WorkerNode(ICollectionCatalog catalog, IChangeLog log, ChangeSignal signal, IOptions<WorkerOptions> options, ILoggerFactory loggers, TimeProvider time)
    {
        _catalog = catalog;
        _log = log;
        _signal = signal;
        _options = options.Value;
        _loggers = loggers;
        _logger = loggers.CreateLogger<WorkerNode>();
        _time = time;
    }

    /// <summary>The address this node reports as (the in-process node is "local").</summary>
    public string NodeName { get; init; } = "local";

    /// <summary>True once the catalog was read and every held replica serves.</summary>
    public bool IsReady(out string reason)
    {
        var held = _held;
        if (!_synced)
        {
            reason = "worker has not read the catalog yet";
            return false;
        }

        var notServing = held.Values.SelectMany(h => h.Replicas).Where(r => r.State != ReplicaState.Serving).ToList();
        reason = notServing.Count == 0 ? "ok" : $"{notServing.Count} shard(s) not serving: " + string.Join(", ", notServing.Take(5).Select(r => $"{r.Collection.Name}/{r.Shard} {r.State.ToString().ToLowerInvariant()}"));
        return notServing.Count == 0;
    }

    private volatile bool _synced;

    public IReadOnlyList<ShardReplica> Replicas(long collectionId) => _held.TryGetValue(collectionId, out var h) ? h.Replicas : [];

    /// <summary>Replicas of every shard held here (embedded: one each); see <see cref="IShardRouter.RouteAsync"/>.</summary>
    /// <remarks>A collection created a moment ago may not be held yet: the node syncs with the catalog first, so the
    /// first search after a create never sees "no replica".</remarks>
    public async ValueTask<IReadOnlyList<IReadOnlyList<IShardClient>>> RouteAsync(CollectionInfo collection, CancellationToken ct)
    {
        if (!_held.ContainsKey(collection.Id))
        {
            await SyncAsync(ct).ConfigureAwait(false);
        }

        int shardCount = collection.ShardMap.ShardCount;
        var routes = new IReadOnlyList<IShardClient>[shardCount];
        var holding = _held.GetValueOrDefault(collection.Id);
        for (int s = 0; s < shardCount; s++)
        {
            // Every held replica is routed; one that is still building answers "unavailable" and the coordinator moves on.
            routes[s] = holding is not null && s < holding.Clients.Length ? [holding.Clients[s]] : [];
        }

        return routes;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            long generation = _signal.Generation;
            try
            {
                await SyncAsync(stoppingToken).ConfigureAwait(false);
                _synced = true;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogSyncFailed(ex);
            }

            try
            {
                await _signal.WaitAsync(generation, _options.PollInterval, _time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task SyncAsync(CancellationToken ct)
    {
        await _syncGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await SyncOnceAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _syncGate.Release();
        }
    }

    private async Task SyncOnceAsync(CancellationToken ct)
    {
        var collections = await _catalog.ListAsync(ct).ConfigureAwait(false);
        var wanted = collections.ToDictionary(c => c.Id);
        var current = _held;
        if (wanted.Keys.Order().SequenceEqual(current.Keys.Order()))
        {
            return;
        }

        var next = new Dictionary<long, Holding>();
        foreach (var (id, info) in wanted)
        {
            next[id] = current.TryGetValue(id, out var existing) ? existing : Start(info);
        }

        lock (_lock)
        {
            _held = next;
        }

        foreach (var (id, gone) in current.Where(h => !wanted.ContainsKey(h.Key)))
        {
            await gone.StopAsync(keepSnapshot: false).ConfigureAwait(false);
            TryDeleteDirectory(gone.Directory);
        }

        RemoveOrphanDirectories(wanted.Values);
    }

    private Holding Start(CollectionInfo info)
    {
        string directory = DirectoryOf(info);
        var cts = new CancellationTokenSource();
        var replicas = new ShardReplica[info.ShardMap.ShardCount];
        var loops = new Task[replicas.Length];
        for (int s = 0; s < replicas.Length; s++)
        {
            var replica = new ShardReplica(info, s, directory, _log, _signal, _options, _loggers.CreateLogger<ShardReplica>(), _time);
            replicas[s] = replica;
            loops[s] = Task.Run(() => replica.RunAsync(cts.Token));
        }

        return new Holding(directory, replicas, replicas.Select(r => new LocalShardClient(r, NodeName)).ToArray(), cts, loops);
    }

    private string DirectoryOf(CollectionInfo info) => Path.Combine(_options.ShardDirectory, $"{info.Name}-{info.Id}");

    private void RemoveOrphanDirectories(IEnumerable<CollectionInfo> live)
    {
        if (!Directory.Exists(_options.ShardDirectory))
        {
            return;
        }

        var keep = live.Select(c => Path.GetFullPath(DirectoryOf(c))).ToHashSet();
        foreach (var dir in Directory.GetDirectories(_options.ShardDirectory))
        {
            if (!keep.Contains(Path.GetFullPath(dir)))
            {
                TryDeleteDirectory(dir);
            }
        }
    }

    private void TryDeleteDirectory(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException ex)
        {
            LogDeleteFailed(ex, directory);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        foreach (var holding in _held.Values)
        {
            await holding.StopAsync(keepSnapshot: true).ConfigureAwait(false);
        }
    }

    private sealed record Holding(string Directory, ShardReplica[] Replicas, LocalShardClient[] Clients, CancellationTokenSource Stop, Task[] Loops)
    {
        public async Task StopAsync(bool keepSnapshot)
        {
            await Stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await Task.WhenAll(Loops).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Loop failures were logged by the replica; stopping must go on.
            }

            foreach (var replica in Replicas)
            {
                replica.Close(keepSnapshot);
            }

            Stop.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker could not sync with the catalog; retrying")]
    private partial void LogSyncFailed(Exception ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete shard directory {Directory}")]
    private partial void LogDeleteFailed(Exception ex, string directory);
}
