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
}
