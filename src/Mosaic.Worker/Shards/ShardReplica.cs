using Microsoft.Extensions.Logging;
using Mosaic.Core.Changes;
using Mosaic.Core.Collections;
using Mosaic.Core.Seams;
using Mosaic.Core.Slots;
using Mosaic.Core.Placement;
using Mosaic.Core.Sharding;
using Mosaic.Index;

namespace Mosaic.Worker.Shards;

/// <summary>One replica of one shard: a shard file plus the in-memory HNSW graph and row table built from it.</summary>
/// <remarks>
/// A single loop (<see cref="RunAsync"/>) opens the replica and then tails the store's change log, so all mutation happens
/// on one logical thread; queries run concurrently against structures that tolerate one writer.
/// </remarks>
public sealed partial class ShardReplica : IDisposable
{
    private static readonly TimeSpan AppliedRecheck = TimeSpan.FromMilliseconds(250);

    private readonly IChangeLog _log;
    private readonly ChangeSignal _storeSignal;
    private readonly ChangeSignal _appliedSignal = new();
    private readonly WorkerOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ShardFile _file;
    private readonly RowTable _rows;
    private readonly string _snapshotPath;
    private volatile IReadOnlyDictionary<int, long> _applied = new Dictionary<int, long>();
    private volatile IReadOnlyDictionary<int, long> _heads = new Dictionary<int, long>();
    private readonly TaskCompletionSource _serving = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private HnswIndex? _index;
    private int _searchesInFlight;
    private long _searchCount;
    private long _searchCountTaken;
    private volatile bool _closed;

    // The last attempt to read or apply the log failed (a full disk, the store unreachable): a bounded wait for
    // read-your-writes seqs gives up at once instead of waiting for what cannot come (see TryWaitForAsync).
    private volatile bool _applyFailing;
    private readonly FailureRun _applyFailures;
    private int _vectorChangesSinceSnapshot;

    public ShardReplica(CollectionInfo collection, ShardInfo shard, string directory, IChangeLog log, ChangeSignal storeSignal, WorkerOptions options, ILogger logger, TimeProvider time)
    {
        Collection = collection;
        Shard = shard.Id;
        Range = shard.Range;
        _log = log;
        _storeSignal = storeSignal;
        _options = options;
        _logger = logger;
        _time = time;
        _applyFailures = new FailureRun(time);
        Directory.CreateDirectory(directory);
        _file = new ShardFile(Path.Combine(directory, FileStem(shard.Id) + ".db"));
        _snapshotPath = Path.Combine(directory, FileStem(shard.Id) + ".hnsw");
        _rows = new RowTable(collection.Spec.Fields);
    }

    public CollectionInfo Collection { get; }

    /// <summary>The shard's id in the collection's map (stable, never reused, so its files never mean another range).</summary>
    public int Shard { get; }

    public SlotRange Range { get; }

    public ReplicaState State { get; private set; } = ReplicaState.Building;

    /// <summary>The shard file's path (its graph snapshot sits next to it).</summary>
    public string FilePath => _file.Path;

    /// <summary>How the last open went, for operators: rows loaded, snapshot used or rebuilt, time taken.</summary>
    public string? OpenReport { get; private set; }

    /// <summary>The file name (without extension) of a shard's files: by id, never by position.</summary>
    public static string FileStem(int shardId) => $"shard_{shardId:D3}";

    /// <summary>Opens the file, rebuilds memory, then applies the log until cancelled.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        try
        {
            await Task.Run(Open, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            State = ReplicaState.Failed;
            _serving.TrySetResult();
            LogOpenFailed(ex, Collection.Name, Shard);
            throw;
        }

        while (!ct.IsCancellationRequested)
        {
            long generation = _storeSignal.Generation;
            try
            {
                if (_applied.Count == 0 && await BootstrapAsync(ct).ConfigureAwait(false))
                {
                    ApplySucceeded();
                    continue;
                }

                bool caughtUp = await CatchUpOnceAsync(ct).ConfigureAwait(false);
                ApplySucceeded();
                if (caughtUp)
                {
                    State = ReplicaState.Serving;
                    _serving.TrySetResult();
                    if (_vectorChangesSinceSnapshot >= SnapshotThreshold)
                    {
                        TrySnapshot();
                    }

                    await _storeSignal.WaitAsync(generation, _options.PollInterval, _time, ct).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (CompactedAwayException ex)
            {
                // The log no longer holds what this replica needs: load the current rows again (the bootstrap also drops
                // rows deleted since) and tail from there. It keeps answering from what it has meanwhile.
                LogApplyFailed(ex, Collection.Name, Shard);
                _applied = new Dictionary<int, long>();
            }
            catch (Exception ex)
            {
                _applyFailing = true;
                if (_applyFailures.Failed(ex))
                {
                    LogApplyFailing(ex, Collection.Name, Shard, _applyFailures.Count);
                }

                await Task.Delay(_options.PollInterval, _time, ct).ConfigureAwait(false);
            }
        }
    }

    private void ApplySucceeded()
    {
        _applyFailing = false;
        if (_applyFailures.Succeeded() is var failures and > 0)
        {
            LogApplyRecovered(Collection.Name, Shard, failures);
        }
    }

    /// <summary>Reads and applies one batch of the log; true when nothing was left to apply.</summary>
    private async Task<bool> CatchUpOnceAsync(CancellationToken ct)
    {
        var heads = await _log.GetSlotHeadsAsync(Collection.Id, Range, ct).ConfigureAwait(false);
        _heads = heads;
        var applied = _applied;
        long pending = 0;
        foreach (var (slot, head) in heads)
        {
            pending += Math.Max(0, head - applied.GetValueOrDefault(slot));
        }

        var batch = new List<ChangeRecord>();
        // In slot order, without sorting the heads: a replica wakes once per group commit, so this runs per write under
        // concurrent single PUTs.
        for (int slot = Range.Start; slot < Range.End; slot++)
        {
            long after = applied.GetValueOrDefault(slot);
            if (!heads.TryGetValue(slot, out long head) || head <= after)
            {
                continue;
            }

            var records = await _log.ReadAsync(Collection.Id, slot, after, _options.ApplyBatchSize - batch.Count, ct).ConfigureAwait(false);
            if (records.Count > 0 && records[0].Seq > after + 1)
            {
                await ThrowIfCompactedAsync(slot, after, ct).ConfigureAwait(false);
            }

            foreach (var record in records)
            {
                // Apply strictly in order: a gap means a change is not visible yet, so stop this slot there.
                if (record.Seq != ++after)
                {
                    break;
                }

                batch.Add(record);
            }

            if (batch.Count >= _options.ApplyBatchSize)
            {
                break;
            }
        }

        if (batch.Count == 0)
        {
            Volatile.Write(ref _pendingChanges, 0);
            return true;
        }

        ApplyTimed(batch, pending);
        return false;
    }

    /// <summary>
    /// A new replica starts from the store's current rows of its slots, not from the log's whole history: it reads the slot
    /// heads first, then every current document (a document written meanwhile may come in a newer state: harmless, its
    /// change re-applies it), and records the heads as applied with the last batch. Then it tails the log after the heads.
    /// </summary>
    /// <returns>True when it loaded anything.</returns>
    private async Task<bool> BootstrapAsync(CancellationToken ct)
    {
        var heads = await _log.GetSlotHeadsAsync(Collection.Id, Range, ct).ConfigureAwait(false);
        if (heads.Count == 0)
        {
            return false;
        }

        // Rows without applied seqs are a bootstrap that a crash cut short: load again and drop what is gone since.
        var stale = new HashSet<string>(StringComparer.Ordinal);
        for (long r = 0; r < _rows.RowLimit; r++)
        {
            if (_rows.IdOf(r) is { } id)
            {
                stale.Add(id);
            }
        }

        string? after = null;
        var none = new Dictionary<int, long>();
        while (true)
        {
            var page = await _log.ReadCurrentAsync(Collection.Id, Range, after, _options.ApplyBatchSize, ct).ConfigureAwait(false);
            foreach (var row in page)
            {
                stale.Remove(row.DocId);
            }

            bool last = page.Count < _options.ApplyBatchSize;
            var batch = page.ToList();
            if (last)
            {
                batch.AddRange(stale.Select(id => new ChangeRecord(Range.Start, 0, id, ChangeKind.Delete, null, 0)));
            }

            ApplyRecords(batch, last ? heads : none);
            if (last)
            {
                break;
            }

            after = page[^1].DocId;
        }

        _applied = new Dictionary<int, long>(heads);
        _appliedSignal.Notify();
        return true;
    }

    private async Task ThrowIfCompactedAsync(int slot, long after, CancellationToken ct)
    {
        var floors = await _log.GetSlotFloorsAsync(Collection.Id, new SlotRange(slot, slot + 1), ct).ConfigureAwait(false);
        if (floors.GetValueOrDefault(slot) > after)
        {
            throw new CompactedAwayException($"slot {slot}: changes after {after} were compacted (floor {floors[slot]})");
        }
    }

    private void Apply(List<ChangeRecord> batch)
    {
        ApplyRecords(batch, null);
        var next = new Dictionary<int, long>(_applied);
        foreach (var record in batch)
        {
            next[record.Slot] = record.Seq;
        }

        _applied = next;
    }

    private void ApplyRecords(IReadOnlyList<ChangeRecord> batch, IReadOnlyDictionary<int, long>? markApplied)
    {
        var changes = _file.Apply(batch, markApplied);
        foreach (var change in changes)
        {
            if (change.Deleted)
            {
                _index?.Remove(change.RowId);
                _rows.Clear(change.RowId);
            }
            else
            {
                _rows.Set(change.RowId, change.DocId, change.Seq, change.FieldsJson);
                if (_index is not null)
                {
                    if (change.Vector is not null)
                    {
                        _index.Add(change.RowId, change.Vector);
                    }
                    else
                    {
                        _index.Remove(change.RowId);
                    }
                }
            }

            ApplyKeyword(change);
            _vectorChangesSinceSnapshot++;
            _rowsChangedSinceSnapshot.Add(change.RowId);
        }
    }

    /// <summary>Waits until every slot in <paramref name="after"/> has been applied at least that far.</summary>
    public async Task WaitForAsync(IReadOnlyDictionary<int, long> after, CancellationToken ct)
    {
        while (true)
        {
            long generation = _appliedSignal.Generation;
            if (HasApplied(after))
            {
                return;
            }

            ct.ThrowIfCancellationRequested();
            await _appliedSignal.WaitAsync(generation, AppliedRecheck, _time, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Waits at most <paramref name="limit"/> for <paramref name="after"/>; false when they are not applied by then,
    /// and at once while this replica is failing to apply (a full disk: waiting would only use up the caller's deadline).</summary>
    private async Task<bool> TryWaitForAsync(IReadOnlyDictionary<int, long> after, TimeSpan limit, CancellationToken ct)
    {
        long started = _time.GetTimestamp();
        while (true)
        {
            long generation = _appliedSignal.Generation;
            if (HasApplied(after))
            {
                return true;
            }

            var left = limit - _time.GetElapsedTime(started);
            if (_applyFailing || left <= TimeSpan.Zero)
            {
                return false;
            }

            ct.ThrowIfCancellationRequested();
            await _appliedSignal.WaitAsync(generation, left < AppliedRecheck ? left : AppliedRecheck, _time, ct).ConfigureAwait(false);
        }
    }

    private bool HasApplied(IReadOnlyDictionary<int, long> after)
    {
        var applied = _applied;
        foreach (var (slot, seq) in after)
        {
            if (applied.GetValueOrDefault(slot) < seq)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Searches this replica has served since it opened: one per shard search call, never the keyword-statistics
    /// (dfs) or payload-fetch calls of the same search, so it counts as the coordinators' searches do.</summary>
    public long SearchesServed => Interlocked.Read(ref _searchCount);

    /// <summary>Searches served since the last call (the worker turns it into a rate for placement's load weight).</summary>
    public long TakeSearchCount()
    {
        long served = SearchesServed;
        return served - Interlocked.Exchange(ref _searchCountTaken, served);
    }

    public Core.Search.ShardStats Stats()
    {
        var applied = _applied;
        var heads = _heads;
        long lag = heads.Sum(h => Math.Max(0, h.Value - applied.GetValueOrDefault(h.Key)));
        return new Core.Search.ShardStats(
            Shard,
            Range.ToString(),
            State.ToString().ToLowerInvariant(),
            _rows.Count,
            _index?.Count ?? 0,
            _file.SizeBytes + (_index?.MemoryBytes ?? 0),
            applied.Values.Sum(),
            lag);
    }

    /// <summary>Stops using the files; with <paramref name="keepSnapshot"/> the graph is saved so the next start is fast.</summary>
    public void Close(bool keepSnapshot)
    {
        if (keepSnapshot && State == ReplicaState.Serving && _vectorChangesSinceSnapshot > 0)
        {
            TrySnapshot();
        }

        Dispose();
    }

    public void Dispose()
    {
        // New searches see _closed and answer "unavailable"; the ones already running finish before the memory goes.
        _closed = true;
        Interlocked.MemoryBarrier(); // the store above must not pass the load below (a search increments, then checks)
        var wait = new SpinWait();
        while (Volatile.Read(ref _searchesInFlight) > 0)
        {
            wait.SpinOnce();
        }

        _index?.Dispose();
        _keywords.Dispose();
        _file.Dispose();
    }

    /// <summary>The log was compacted past what this replica has applied.</summary>
    private sealed class CompactedAwayException(string message) : Exception(message);

    [LoggerMessage(Level = LogLevel.Error, Message = "Shard {Collection}/{Shard} failed to open")]
    private partial void LogOpenFailed(Exception ex, string collection, int shard);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shard {Collection}/{Shard} failed to apply changes; retrying")]
    private partial void LogApplyFailed(Exception ex, string collection, int shard);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shard {Collection}/{Shard} failed to apply changes ({Attempts} attempts in a row; the same failure is logged once a minute); retrying")]
    private partial void LogApplyFailing(Exception ex, string collection, int shard, int attempts);

    [LoggerMessage(Level = LogLevel.Information, Message = "Shard {Collection}/{Shard} applies changes again after {Attempts} failed attempts")]
    private partial void LogApplyRecovered(string collection, int shard, int attempts);

    [LoggerMessage(Level = LogLevel.Information, Message = "Shard {Collection}/{Shard} opened: {Report}")]
    private partial void LogOpened(string collection, int shard, string report);
}
