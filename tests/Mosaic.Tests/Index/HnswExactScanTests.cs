using Mosaic.Core.Collections;
using Mosaic.Index;
using Xunit;

namespace Mosaic.Tests.Index;

/// <summary>The exact scan over given labels, which bounds distances from the first half of each vector, answers as the full scan does.</summary>
public sealed class HnswExactScanTests
{
    [Theory]
    [InlineData(VectorMetric.Cosine, 128)]
    [InlineData(VectorMetric.Cosine, 48)]
    [InlineData(VectorMetric.L2, 128)]
    [InlineData(VectorMetric.L2, 40)]
    [InlineData(VectorMetric.Dot, 64)]
    public void Bounded_exact_scan_returns_the_full_scans_hits_and_the_true_top_k(VectorMetric metric, int dimension)
    {
        var data = new IndexTestData(IndexTestData.DefaultSeed(41), 3_000, 20, dimension, clusters: 20, spread: 0.6);
        using var index = data.Build(metric, parallel: true);
        var random = new Random(data.Seed);
        // Two fifths of the labels (more than one 256-row batch), plus labels the index never had.
        var labels = Enumerable.Range(0, data.Vectors.Length).Where(_ => random.Next(5) < 2).Select(i => (long)i).Append(10_000).Append(20_000).ToArray();
        var allowed = labels.ToHashSet();
        const int K = 10;
        var bounded = new VectorHit[K];
        var full = new VectorHit[K];
        foreach (var query in data.Queries)
        {
            int found = index.ExactSearch(query, K, labels, bounded);
            HnswIndex.BoundExactScan = false;
            try
            {
                Assert.Equal(found, index.ExactSearch(query, K, labels, full));
            }
            finally
            {
                HnswIndex.BoundExactScan = true;
            }

            Assert.Equal(K, found);
            Assert.Equal(full, bounded);

            // And the hits are the true top k (double precision reference; scores agree to float rounding).
            var expected = data.ExactTopK(metric, query, K, allowed.Contains);
            for (int i = 0; i < K; i++)
            {
                double want = IndexTestData.Score(metric, query, data.Vectors[expected[i]]);
                Assert.True(Math.Abs(want - bounded[i].Score) < 1e-4, $"seed {data.Seed}: hit {i} scored {bounded[i].Score}, the true {i}th best {want}");
            }
        }
    }
}
