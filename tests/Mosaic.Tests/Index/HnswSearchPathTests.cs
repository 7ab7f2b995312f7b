using Mosaic.Core.Collections;
using Mosaic.Index;
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
}
