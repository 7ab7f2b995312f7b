using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Mosaic.Coordinator.Reads;
using Mosaic.Core.Changes;
using Mosaic.Core.Seams;
using Mosaic.Core.Slots;

namespace Mosaic.Coordinator.Caching;

/// <summary>Each collection's current write version, known without a store read per search.</summary>
/// <remarks>
/// <para>
/// The version is read from the store's change log (slot heads) and reused while the store's <see cref="ChangeSignal"/>
/// has not moved and it is younger than <see cref="ResultCacheOptions.VersionMaxAge"/>. Every committed write moves the
/// signal: in-process for SQLite, and through the store's NOTIFY for every coordinator on PostgreSQL, whichever
/// coordinator wrote. The age bound covers a lost notification. After a move the next search re-reads (one read per
/// collection at a time; concurrent searches share it). A read waits at most
/// <see cref="ResultCacheOptions.VersionReadTimeout"/>, and while one is stuck past it callers fail at once (the cached
/// read path then skips the cache): a hanging store slows no search by more than that.
/// </para>
/// <para>
/// A search carrying a consistency token needs no notification at all: a token beyond the known heads proves a newer
/// write exists, and forces a fresh read.
/// </para>
/// </remarks>
public sealed class CollectionVersions(IChangeLog log, KnownSlotHeads known, ChangeSignal signal, IOptions<ResultCacheOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<long, Entry> _entries = new();
    private readonly TimeSpan _maxAge = options.Value.VersionMaxAge;
    private readonly TimeSpan _readWait = options.Value.VersionReadTimeout;

    /// <summary>The version to key a search by; fresh enough to cover <paramref name="atLeast"/> when the store has it.</summary>
    public async ValueTask<CollectionVersion> GetAsync(long collectionId, IReadOnlyDictionary<int, long>? atLeast, CancellationToken ct)
    {
        long generation = signal.Generation;
        if (_entries.TryGetValue(collectionId, out var entry) && entry.Read.IsCompletedSuccessfully)
        {
            var known = entry.Read.Result;
            bool current = entry.Generation == generation && time.GetElapsedTime(entry.Started) < _maxAge;
            if (current && (atLeast is null || known.Covers(atLeast)))
            {
                return known;
            }
        }

        return await RefreshAsync(collectionId, generation, atLeast, ct).ConfigureAwait(false);
    }

    private async Task<CollectionVersion> RefreshAsync(long collectionId, long generation, IReadOnlyDictionary<int, long>? atLeast, CancellationToken ct)
    {
        // Join a read still in flight that started at this generation or later: it sees every write the caller's signal
        // announced (the store signals after commit). Otherwise start one; racing starters each publish a valid snapshot.
        // A read that has outlasted its wait means the store is hanging: fail at once rather than wait or pile another on it.
        if (_entries.TryGetValue(collectionId, out var running) && !running.Read.IsCompleted)
        {
            var age = time.GetElapsedTime(running.Started);
            if (age >= _readWait)
            {
                throw new TimeoutException($"the store has not answered a version read for {age.TotalMilliseconds:F0} ms");
            }

            if (running.Generation >= generation)
            {
                var joined = await running.Read.WaitAsync(_readWait - age, time, ct).ConfigureAwait(false);
                if (atLeast is null || joined.Covers(atLeast))
                {
                    return joined;
                }
            }
        }

        var fresh = new Entry(generation, time.GetTimestamp(), ReadAsync(collectionId));
        _entries[collectionId] = fresh;
        return await fresh.Read.WaitAsync(_readWait, time, ct).ConfigureAwait(false);
    }

    private async Task<CollectionVersion> ReadAsync(long collectionId)
    {
        // Not tied to one caller's cancellation: other searches may be waiting on the same read.
        await Task.Yield();
        var heads = await log.GetSlotHeadsAsync(collectionId, new SlotRange(0, SlotHasher.SlotCount), CancellationToken.None).ConfigureAwait(false);
        known.Learn(collectionId, heads); // the read path checks tokens against these without a read of its own
        return CollectionVersion.From(collectionId, heads);
    }

    private sealed record Entry(long Generation, long Started, Task<CollectionVersion> Read);
}
