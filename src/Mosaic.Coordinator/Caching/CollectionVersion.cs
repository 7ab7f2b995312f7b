namespace Mosaic.Coordinator.Caching;

/// <summary>A collection's write version: the change-log head of every slot, as one snapshot read from the store.</summary>
/// <remarks>
/// Every write bumps at least one slot's head, and heads only grow, so <see cref="Sum"/> grows with every write and two
/// snapshots with the same <see cref="Key"/> describe the same set of writes.
/// </remarks>
public sealed record CollectionVersion(long CollectionId, IReadOnlyDictionary<int, long> Heads, long Sum, string Key)
{
    public static CollectionVersion From(long collectionId, IReadOnlyDictionary<int, long> heads)
    {
        long sum = 0;
        ulong hash = 14695981039346656037UL;
        foreach (var (slot, seq) in heads.OrderBy(p => p.Key))
        {
            sum += seq;
            hash = (hash ^ (ulong)slot) * 1099511628211UL;
            hash = (hash ^ (ulong)seq) * 1099511628211UL;
        }

        return new CollectionVersion(collectionId, heads, sum, $"{sum}.{hash:x16}");
    }

    /// <summary>True when every write the token names is part of this version.</summary>
    public bool Covers(IReadOnlyDictionary<int, long> slotSeqs) => slotSeqs.All(p => p.Value <= Heads.GetValueOrDefault(p.Key));
}
