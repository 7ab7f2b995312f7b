namespace Mosaic.Index.Graph;

/// <summary>
/// Insertion sort, ascending by a float key, for the few dozen entries a search or an insertion sorts (neighbour
/// lists, a search's hits): for such sizes it beats the framework's sort, whose comparison delegate alone was 2 % of
/// a binary query. The key is read by a struct, so each use is specialized and inlined.
/// </summary>
internal static class SmallSort
{
    public static void Ascending<T, TKey>(Span<T> items)
        where TKey : struct, ISortKey<T>
    {
        for (int i = 1; i < items.Length; i++)
        {
            T x = items[i];
            float key = TKey.Of(x);
            int j = i - 1;
            while (j >= 0 && TKey.Of(items[j]) > key)
            {
                items[j + 1] = items[j];
                j--;
            }

            items[j + 1] = x;
        }
    }

    /// <summary>Candidates by distance.</summary>
    public readonly struct ByDistance : ISortKey<Candidate>
    {
        public static float Of(in Candidate item) => item.Distance;
    }

    /// <summary>Hits by score (which holds a distance until the hits are finished).</summary>
    public readonly struct ByScore : ISortKey<VectorHit>
    {
        public static float Of(in VectorHit item) => item.Score;
    }
}

/// <summary>The sort key <see cref="SmallSort"/> orders by.</summary>
internal interface ISortKey<T>
{
    static abstract float Of(in T item);
}
