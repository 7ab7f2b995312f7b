using System.Collections.Concurrent;
using Mosaic.Core.Consistency;
using Mosaic.Core.Slots;

namespace Mosaic.Store.Sqlite;

/// <summary>Slot heads kept in memory: this process is the store file's only writer, so it knows every head it commits.</summary>
/// <remarks>
/// Every shard replica reads its slot heads each time it wakes to apply, and read from SQLite that was a range scan of
/// 512 rows per shard per group commit: under 16 concurrent single PUTs it took ~7 % of the server's CPU (perf, bench/puts).
/// Invariant: a cached head is never above the committed one, and once a commit has returned (before its change signal),
/// the cache holds its heads. Both hold because heads only grow (collection ids are never reused), the committer raises
/// the cache after its commit, and a first read loads the table and merges with max: a load racing a commit can only
/// miss the commit's heads if that commit has not finished yet, and then the commit itself raises them in the same entry.
/// </remarks>
public sealed partial class SqliteStore
{
    /// <summary>Per collection id; an entry is dropped with its collection.</summary>
    private readonly ConcurrentDictionary<long, CachedHeads> _cachedHeads = new();

    public Task<IReadOnlyDictionary<int, long>> GetSlotHeadsAsync(long collectionId, SlotRange range, CancellationToken ct)
    {
        var cached = _cachedHeads.GetOrAdd(collectionId, static _ => new CachedHeads());
        if (!cached.Loaded)
        {
            using var connection = Open();
            foreach (var (slot, seq) in ReadHeads(connection, null, collectionId, new SlotRange(0, SlotHasher.SlotCount)))
            {
                cached.Raise(slot, seq);
            }

            cached.Loaded = true;
        }

        var heads = new Dictionary<int, long>();
        for (int slot = range.Start; slot < range.End; slot++)
        {
            long seq = Volatile.Read(ref cached.Seqs[slot]);
            if (seq > 0)
            {
                heads[slot] = seq;
            }
        }

        return Task.FromResult<IReadOnlyDictionary<int, long>>(heads);
    }

    /// <summary>After a commit (before its change signal): the heads it wrote.</summary>
    private void RaiseCachedHeads(long collectionId, IReadOnlyDictionary<int, long> touched)
    {
        var cached = _cachedHeads.GetOrAdd(collectionId, static _ => new CachedHeads());
        foreach (var (slot, seq) in touched)
        {
            cached.Raise(slot, seq);
        }
    }

    private void ForgetCachedHeads(long collectionId) => _cachedHeads.TryRemove(collectionId, out _);

    private sealed class CachedHeads
    {
        public readonly long[] Seqs = new long[SlotHasher.SlotCount];

        public volatile bool Loaded;

        public void Raise(int slot, long seq) => SlotSeq.Raise(ref Seqs[slot], seq);
    }
}
