using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mosaic.Core.Changes;
using Mosaic.Core.Collections;
using Mosaic.Core.Placement;
using Mosaic.Core.Seams;
using Mosaic.Core.Sharding;
using Mosaic.Worker.Placement;
using Mosaic.Worker.Shards;

namespace Mosaic.Worker.Node;

/// <summary>The worker role: holds the shard replicas its plan assigns to this node and keeps them in step.</summary>
/// <remarks>
/// Re-reads the catalog and the plan whenever the store signals a change (or every poll interval), starts replicas it
/// should hold, stops and deletes those it should not, restarts failed ones from scratch with backoff (a shard file is
/// derived data: the store rebuilds it), and reports each replica's state, lag, size and load back to the plan.
/// </remarks>
public sealed partial class WorkerNode : BackgroundService
{
    private static readonly TimeSpan ReportEvery = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan FirstRestartDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxRestartDelay = TimeSpan.FromSeconds(30);

    private readonly ICollectionCatalog _catalog;
    private readonly IChangeLog _log;
    private readonly ChangeSignal _signal;
    private readonly IReplicaPlan _plan;
    private readonly WorkerOptions _options;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger<WorkerNode> _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _syncGate = new(1, 1);
    private readonly Dictionary<(long, int), (ReplicaState State, double Qps, long Since)> _reported = [];
    private readonly Dictionary<(long, int), (int Failures, long RetryAt)> _failures = [];
    private volatile Dictionary<(long Collection, int Shard), Held> _held = [];
    private volatile bool _synced;
    private long _lastFullReport;

    public WorkerNode(ICollectionCatalog catalog, IChangeLog log, ChangeSignal signal, IReplicaPlan plan, IOptions<WorkerOptions> options, ILoggerFactory loggers, TimeProvider time)
    {
        _catalog = catalog;
        _log = log;
        _signal = signal;
        _plan = plan;
        _options = options.Value;
        _loggers = loggers;
        _logger = loggers.CreateLogger<WorkerNode>();
        _time = time;
    }

    public string NodeName => _plan.NodeId;

    /// <summary>True once the plan was read and every held replica serves.</summary>
    public bool IsReady(out string reason)
    {
        if (!_synced)
        {
            reason = "worker has not read its placement yet";
            return false;
        }

        var notServing = _held.Values.Select(h => h.Replica).Where(r => r.State != ReplicaState.Serving).ToList();
        reason = notServing.Count == 0 ? "ok" : $"{notServing.Count} shard(s) not serving: " + string.Join(", ", notServing.Take(5).Select(r => $"{r.Collection.Name}/{r.Shard} {r.State.ToString().ToLowerInvariant()}"));
        return notServing.Count == 0;
    }

    public IReadOnlyList<ShardReplica> AllReplicas() => _held.Values.Select(h => h.Replica).ToList();

    /// <summary>The held replica of that shard, or null.</summary>
    public ShardReplica? Find(long collectionId, int shard) => _held.GetValueOrDefault((collectionId, shard))?.Replica;

    /// <summary>The in-process client of a held replica, or null.</summary>
    public IShardClient? LocalClient(long collectionId, int shard) => _held.GetValueOrDefault((collectionId, shard))?.Client;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            long generation = _signal.Generation;
            try
            {
                await SyncAsync(stoppingToken).ConfigureAwait(false);
                _synced = true;
                await ReportAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogSyncFailed(ex);
            }

            try
            {
                // Wake on store changes, but at least every report period so that state changes get reported.
                var wait = _options.PollInterval < ReportEvery ? _options.PollInterval : ReportEvery;
                await _signal.WaitAsync(generation, wait, _time, stoppingToken).ConfigureAwait(false);
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
            var collections = await _catalog.ListAsync(ct).ConfigureAwait(false);
            var wanted = (await _plan.WantedAsync(collections, ct).ConfigureAwait(false)).ToDictionary(w => (w.Collection.Id, w.Shard.Id));
            var current = _held;
            var failed = current.Where(h => h.Value.Replica.State == ReplicaState.Failed && wanted.ContainsKey(h.Key) && DueForRestart(h.Key)).Select(h => h.Key).ToList();
            // The first sync after a start always sweeps: files of shards that moved away (or collections dropped) while
            // the node was down are orphans even when it is given nothing now, and they would hold its disk for good.
            if (_synced && failed.Count == 0 && wanted.Keys.All(current.ContainsKey) && current.Keys.All(wanted.ContainsKey))
            {
                return;
            }

            foreach (var key in failed)
            {
                // Its files may be what failed (corrupt, half-written): stop it and delete them before its successor
                // opens the same paths, so that the successor starts over from the store.
                var gone = current[key];
                await gone.StopAsync(keepFiles: false).ConfigureAwait(false);
                DeleteFiles(gone.Replica);
                LogRestarted(gone.Replica.Collection.Name, key.Item2, _failures[key].Failures);
            }

            var next = new Dictionary<(long, int), Held>();
            foreach (var (key, (info, shard)) in wanted)
            {
                next[key] = current.TryGetValue(key, out var existing) && !failed.Contains(key) ? existing : Start(info, shard);
            }

            _held = next;

            foreach (var (key, gone) in current.Where(h => !wanted.ContainsKey(h.Key)))
            {
                await gone.StopAsync(keepFiles: false).ConfigureAwait(false);
                _reported.Remove(key);
                _failures.Remove(key);
            }

            RemoveOrphanFiles(collections, next.Values.Select(h => h.Replica).ToList());
        }
        finally
        {
            _syncGate.Release();
        }
    }

    /// <summary>Backoff between restarts of a failing replica: 1 s, doubling up to 30 s.</summary>
    private bool DueForRestart((long, int) key)
    {
        long now = _time.GetTimestamp();
        if (!_failures.TryGetValue(key, out var failure))
        {
            _failures[key] = (1, now + (long)(FirstRestartDelay.TotalSeconds * _time.TimestampFrequency));
            return false;
        }

        if (now < failure.RetryAt)
        {
            return false;
        }

        var delay = TimeSpan.FromTicks(Math.Min(FirstRestartDelay.Ticks << Math.Min(failure.Failures, 10), MaxRestartDelay.Ticks));
        _failures[key] = (failure.Failures + 1, now + (long)(delay.TotalSeconds * _time.TimestampFrequency));
        return true;
    }

    /// <summary>Reports state changes at once and every replica's lag, size and load every <see cref="ReportEvery"/>.</summary>
    private async Task ReportAsync(CancellationToken ct)
    {
        long now = _time.GetTimestamp();
        var sinceLast = _time.GetElapsedTime(_lastFullReport, now);
        bool full = sinceLast >= ReportEvery;
        foreach (var (key, held) in _held)
        {
            var state = held.Replica.State;
            bool known = _reported.TryGetValue(key, out var last);
            bool changed = !known || last.State != state;
            if (full || changed)
            {
                var stats = held.Replica.Stats();
                // The rate is measured per replica from its last state change, so a replica that started serving mid-window
                // does not report a diluted rate; a state-change report carries the last rate instead of 0. Either would
                // make the replica look idle to the planner's weights, and moves would chase that noise.
                double qps = last.Qps;
                long since = last.Since;
                if (changed)
                {
                    held.Replica.TakeSearchCount();
                    since = now;
                }
                else if (_time.GetElapsedTime(since, now) is var window && window >= ReportEvery / 2)
                {
                    qps = held.Replica.TakeSearchCount() / window.TotalSeconds;
                    since = now;
                }

                await _plan.ReportAsync(held.Replica.Collection, held.Replica.Shard, new ReplicaReport(state, stats.Lag, stats.Bytes, qps, stats.DocCount), ct).ConfigureAwait(false);
                _reported[key] = (state, qps, since);
            }
        }

        if (full)
        {
            _lastFullReport = now;
        }
    }

    private Held Start(CollectionInfo info, ShardInfo shard)
    {
        var cts = new CancellationTokenSource();
        ShardReplica replica;
        try
        {
            replica = new ShardReplica(info, shard, DirectoryOf(info), _log, _signal, _options, _loggers.CreateLogger<ShardReplica>(), _time);
        }
        catch (Exception ex) when (ex is Microsoft.Data.Sqlite.SqliteException or IOException or InvalidDataException)
        {
            // The shard file cannot even be opened (corrupt): it is derived data, so start over from the store.
            LogUnopenable(ex, info.Name, shard.Id);
            DeleteFiles(DirectoryOf(info), ShardReplica.FileStem(shard.Id));
            replica = new ShardReplica(info, shard, DirectoryOf(info), _log, _signal, _options, _loggers.CreateLogger<ShardReplica>(), _time);
        }

        var loop = Task.Run(() => replica.RunAsync(cts.Token));
        return new Held(replica, new LocalShardClient(replica, NodeName), cts, loop);
    }

    private string DirectoryOf(CollectionInfo info) => Path.Combine(_options.ShardDirectory, $"{info.Name}-{info.Id}");

    private void DeleteFiles(ShardReplica replica) =>
        DeleteFiles(Path.GetDirectoryName(replica.FilePath), Path.GetFileNameWithoutExtension(replica.FilePath));

    private void DeleteFiles(string? dir, string stem)
    {
        if (dir is null || !Directory.Exists(dir))
        {
            return;
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        foreach (var part in Directory.GetFiles(dir, stem + ".*"))
        {
            TryDelete(() => File.Delete(part), part);
        }
    }

    /// <summary>Deletes files of collections that are gone and of shards this node no longer holds.</summary>
    private void RemoveOrphanFiles(IReadOnlyList<CollectionInfo> collections, IReadOnlyList<ShardReplica> held)
    {
        if (!Directory.Exists(_options.ShardDirectory))
        {
            return;
        }

        var liveDirs = collections.Select(c => Path.GetFullPath(DirectoryOf(c))).ToHashSet();
        var heldFiles = held.Select(r => Path.GetFullPath(r.FilePath)).ToHashSet();
        foreach (var dir in Directory.GetDirectories(_options.ShardDirectory))
        {
            if (!liveDirs.Contains(Path.GetFullPath(dir)))
            {
                TryDelete(() => Directory.Delete(dir, recursive: true), dir);
                continue;
            }

            foreach (var file in Directory.GetFiles(dir, "shard_*.db"))
            {
                if (!heldFiles.Contains(Path.GetFullPath(file)))
                {
                    foreach (var part in Directory.GetFiles(dir, Path.GetFileNameWithoutExtension(file) + ".*"))
                    {
                        TryDelete(() => File.Delete(part), part);
                    }
                }
            }
        }
    }

    private void TryDelete(Action delete, string path)
    {
        try
        {
            delete();
        }
        catch (IOException ex)
        {
            LogDeleteFailed(ex, path);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        foreach (var held in _held.Values)
        {
            await held.StopAsync(keepFiles: true).ConfigureAwait(false);
        }
    }

    private sealed record Held(ShardReplica Replica, LocalShardClient Client, CancellationTokenSource Stop, Task Loop)
    {
        public async Task StopAsync(bool keepFiles)
        {
            await Stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await Loop.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The replica logged its own failure; stopping goes on.
            }

            Replica.Close(keepSnapshot: keepFiles);
            Stop.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker could not sync with the catalog and placement; retrying")]
    private partial void LogSyncFailed(Exception ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete {Path}")]
    private partial void LogDeleteFailed(Exception ex, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shard file of {Collection}/{Shard} cannot be opened; rebuilding it from the store")]
    private partial void LogUnopenable(Exception ex, string collection, int shard);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Restarting failed replica {Collection}/{Shard} from the store (attempt {Attempt})")]
    private partial void LogRestarted(string collection, int shard, int attempt);
}
