using Mosaic.Core.Changes;
using Mosaic.Core.Slots;

namespace Mosaic.Core.Seams;

/// <summary>The read side of the change log that shard replicas tail.</summary>
public interface IChangeLog
{
    /// <summary>The latest sequence of every slot in <paramref name="range"/> that has any change.</summary>
    Task<IReadOnlyDictionary<int, long>> GetSlotHeadsAsync(long collectionId, SlotRange range, CancellationToken ct);

    /// <summary>Changes of one slot with seq &gt; <paramref name="afterSeq"/>, in seq order, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<ChangeRecord>> ReadAsync(long collectionId, int slot, long afterSeq, int limit, CancellationToken ct);

    /// <summary>
    /// The current documents of the slots in <paramref name="range"/>, as upserts carrying each document's seq, in doc-id
    /// order after <paramref name="afterId"/>, at most <paramref name="limit"/>. A new replica starts from these (its cost
    /// is the collection's size, not its history) and then tails the log after the slot heads it read first.
    /// </summary>
    Task<IReadOnlyList<ChangeRecord>> ReadCurrentAsync(long collectionId, SlotRange range, string? afterId, int limit, CancellationToken ct);

    /// <summary>The highest compacted seq of every slot in <paramref name="range"/> that was compacted (changes up to it are gone).</summary>
    Task<IReadOnlyDictionary<int, long>> GetSlotFloorsAsync(long collectionId, SlotRange range, CancellationToken ct);

    /// <summary>Raises each slot's floor to the one given in <paramref name="floors"/> (floors never go down; ones &lt;= 0 are
    /// skipped) and deletes the changes up to it, in one transaction; returns how many went.</summary>
    Task<long> CompactAsync(long collectionId, IReadOnlyDictionary<int, long> floors, CancellationToken ct);
}
