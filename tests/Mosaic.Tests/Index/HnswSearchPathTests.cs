using Mosaic.Core.Collections;
using Mosaic.Index;
using Mosaic.Index.Graph;
using Xunit;

namespace Mosaic.Tests.Index;

/// <summary>The sorted-pool layer search (unfiltered fast path) and the two-heap search (filters, tombstones) agree.</summary>
public sealed class HnswSearchPathTests
{
    [Fact]
    public void SortedPoolAndTwoHeapSearchReturnTheSameHits()
    {
        var data = new IndexTestData(IndexTestData.DefaultSeed(31), 4_000, 100, 48);
        using var index = data.Build(VectorMetric.Cosine, parallel: false);
        var pool = new VectorHit[10];
        var heaps = new VectorHit[10];
        int mismatches = 0;
        foreach (var q in data.Queries)
        {
            foreach (int ef in new[] { 10, 40 })
            {
                int a = index.Search(q, 10, ef, pool);
                HnswIndex.UsePool = false;
                try
                {
                    Assert.Equal(a, index.Search(q, 10, ef, heaps));
                }
                finally
                {
                    HnswIndex.UsePool = true;
                }

                // Same nodes visited, same answer; only exact distance ties could order differently.
                if (!pool.SequenceEqual(heaps))
                {
                    mismatches++;
                    Assert.Equal(pool.Select(h => h.Label).Order(), heaps.Select(h => h.Label).Order());
                }
            }
        }

        Assert.True(mismatches <= 2, $"{mismatches} answers differ in order");
    }

    [Fact]
    public void VectorInsertPositionEqualsBinarySearch()
    {
        // Pools of every size up to past the vector path's 64 and construction's ef 200 (ties, negative distances,
        // expanded ids), with slack after size as the search keeps it; the position is the count of entries not
        // farther than d.
        var random = new Random(IndexTestData.DefaultSeed(33));
        var pool = new Candidate[270];
        int checks = 0;
        for (int size = 0; size <= 260; size++)
        {
            for (int trial = 0; trial < 20; trial++)
            {
                for (int i = 0; i < pool.Length; i++)
                {
                    pool[i] = new Candidate(random.Next(-20, 20) / 4f, random.Next() | (i % 2 == 0 ? int.MinValue : 0));
                }

                Array.Sort(pool, 0, size, Comparer<Candidate>.Create((a, b) => a.Distance.CompareTo(b.Distance)));
                float d = random.Next(-24, 24) / 4f;
                int expected = pool.Take(size).Count(c => c.Distance <= d);
                Assert.Equal(expected, HnswIndex.InsertPosition(ref pool[0], size, d));
                HnswIndex.VectorInsert = false;
                try
                {
                    Assert.Equal(expected, HnswIndex.InsertPosition(ref pool[0], size, d));
                }
                finally
                {
                    HnswIndex.VectorInsert = true;
                }

                checks++;
            }
        }

        Assert.Equal(261 * 20, checks);
    }
}
