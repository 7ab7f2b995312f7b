using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Mosaic.Core.Consistency;
using Mosaic.Core.Seams;
using Mosaic.Core.Slots;

namespace Mosaic.Coordinator.Reads;

/// <summary>
/// Per collection, the change-log head of every slot that this coordinator knows the store has reached: what checks a
/// consistency token without a store read per search.
/// </summary>
/// <remarks>
/// <para>
/// Heads only grow, so every head learned (from a write this coordinator committed, or from a read of the store's heads)
/// is a lower bound of the store's. A token at or below the known heads was issued by this store: the shards' bounded
/// wait does the rest. Only a token ahead of them costs a store read, shared by concurrent callers (single flight, and
/// only a read started after the caller arrived can prove it ahead). A token still ahead after that read is not this
/// store's. When the read fails or outlasts the caller's wait (store down or hanging), the token is left to the shards'
/// bounded wait instead of failing the search; no further read is tried for <see cref="RetryAfterFailure"/> after a
/// failure, nor while one is stuck (at most one read per collection is ever in flight).
/// </para>
/// <para>
/// Retention: one entry (8 KiB) per collection searched or written through this coordinator; past
/// <see cref="MaxCollections"/> the map is emptied (a dropped collection's id is never reused, so nothing else removes
/// its entry) and heads are learned again, at one store read per collection.
/// </para>
/// </remarks>
public sealed partial class KnownSlotHeads(IChangeLog log, TimeProvider time, ILogger<KnownSlotHeads> logger)
{
    /// <summary>Collections remembered before the map starts over.</summary>
    public const int MaxCollections = 4096;

    /// <summary>How long after a failed store read tokens ahead of the known heads go unchecked to the shards.</summary>
    public static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<long, Heads> _collections = new();

    /// <summary>Records heads the store is known to have reached (a write's token, or heads read from the store).</summary>
    public void Learn(long collectionId, IReadOnlyDictionary<int, long> heads)
    {
        var known = For(collectionId);
        foreach (var (slot, seq) in heads)
        {
            known.Raise(slot, seq);
        }
    }

    /// <summary>True when every (slot, seq) of <paramref name="token"/> is at or below the known heads; never reads the store.</summary>
    public bool Covers(long collectionId, IReadOnlyDictionary<int, long> token) =>
        _collections.TryGetValue(collectionId, out var known) && known.Covers(token);

    /// <summary>Whether the store has issued <paramref name="token"/>: from the known heads, else from one (shared) store read.</summary>
    /// <param name="wait">How long the caller may wait for the store read (the request's deadline).</param>
    public async ValueTask<TokenCheck> CheckAsync(long collectionId, IReadOnlyDictionary<int, long> token, TimeSpan wait, CancellationToken ct)
    {
        var known = For(collectionId);
        if (known.Covers(token))
        {
            return TokenCheck.Known;
        }

        var before = known.Current;
        if (before is { Read.IsCompleted: false })
        {
            // A read already in flight may have started before the token's write committed; use it if it settles the
            // question, else start one of our own.
            try
            {
                await before.Read.WaitAsync(wait, time, ct).ConfigureAwait(false);
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                // Failed or still running: StartOrJoin below tells which, and does not pile a second read on a stuck one.
            }

            if (known.Covers(token))
            {
                return TokenCheck.Known;
            }
        }

        var refresh = known.StartOrJoin(before, () => ReadAsync(collectionId, known), time);
        if (refresh is null)
        {
            return TokenCheck.Unchecked; // a read failed moments ago or is stuck: the shards' wait decides
        }

        try
        {
            await refresh.WaitAsync(wait, time, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            LogUnchecked(logger, collectionId, ex.Message);
            return TokenCheck.Unchecked;
        }

        return known.Covers(token) ? TokenCheck.Known : TokenCheck.Ahead;
    }

    private Heads For(long collectionId)
    {
        if (_collections.TryGetValue(collectionId, out var known))
        {
            return known;
        }

        if (_collections.Count >= MaxCollections)
        {
            _collections.Clear();
        }

        return _collections.GetOrAdd(collectionId, static _ => new Heads());
    }

    private async Task ReadAsync(long collectionId, Heads known)
    {
        // Not tied to one caller's cancellation: other searches may be waiting on the same read.
        await Task.Yield();
        var heads = await log.GetSlotHeadsAsync(collectionId, new SlotRange(0, SlotHasher.SlotCount), CancellationToken.None).ConfigureAwait(false);
        foreach (var (slot, seq) in heads)
        {
            known.Raise(slot, seq);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consistency token of collection {CollectionId} left to the shards' wait: the store's slot heads could not be read ({Error})")]
    private static partial void LogUnchecked(ILogger logger, long collectionId, string error);

    /// <summary>One collection's known heads (raised atomically, never lowered) and its store read in flight.</summary>
    private sealed class Heads
    {
        private readonly long[] _seqs = new long[SlotHasher.SlotCount];
        private readonly Lock _gate = new();
        private Refresh? _current;

        public Refresh? Current => Volatile.Read(ref _current);

        public void Raise(int slot, long seq)
        {
            if ((uint)slot >= (uint)_seqs.Length)
            {
                return;
            }

            SlotSeq.Raise(ref _seqs[slot], seq);
        }

        public bool Covers(IReadOnlyDictionary<int, long> token)
        {
            foreach (var (slot, seq) in token)
            {
                if ((uint)slot >= (uint)_seqs.Length || seq > Volatile.Read(ref _seqs[slot]))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>
        /// A read started after <paramref name="seen"/> was observed (joined if one is in flight, else started); null
        /// while the last read failed less than <see cref="RetryAfterFailure"/> ago, or while <paramref name="seen"/> is
        /// still in flight after the caller waited for it: the store is hanging, and one stuck read is enough.
        /// </summary>
        public Task? StartOrJoin(Refresh? seen, Func<Task> read, TimeProvider time)
        {
            lock (_gate)
            {
                var current = _current;
                if (current is { Read.IsCompleted: false })
                {
                    return current != seen ? current.Read : null;
                }

                if (current is { Read.IsFaulted: true } && time.GetElapsedTime(current.Started) < RetryAfterFailure)
                {
                    return null;
                }

                var fresh = new Refresh(time.GetTimestamp(), read());
                _current = fresh;
                return fresh.Read;
            }
        }
    }

    private sealed record Refresh(long Started, Task Read);
}
