using Mosaic.Core.Collections;
using Mosaic.Index;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.Tests.Index;

/// <summary>Search quality against exact search, plain and filtered, on seeded clustered data.</summary>
public sealed class HnswRecallTests(SharedCosineIndex shared, ITestOutputHelper output) : IClassFixture<SharedCosineIndex>
{
    private const int K = 10;

    [Fact]
    public void CosineRecallAtDefaultEfIsAtLeast95Percent()
    {
        output.WriteLine($"seed {shared.Data.Seed} (MOSAIC_TEST_SEED to change)");
        double recall = shared.Data.Recall(shared.Index, VectorMetric.Cosine, K, HnswSettings.Default.EfSearch);
        output.WriteLine($"cosine recall@{K} at ef={HnswSettings.Default.EfSearch}: {recall:F4}");
        Assert.True(recall >= 0.95, $"recall {recall:F4} < 0.95 (seed {shared.Data.Seed})");
        Assert.Equal(20_000, shared.Index.Count);
    }

    [Fact]
    public void L2RecallAtDefaultEfIsAtLeast95PercentWithSerialAdds()
    {
        var data = new IndexTestData(IndexTestData.DefaultSeed(99), 20_000, 200, 64);
        output.WriteLine($"seed {data.Seed}");
        using var index = data.Build(VectorMetric.L2, parallel: false);
        double recall = data.Recall(index, VectorMetric.L2, K, HnswSettings.Default.EfSearch);
        output.WriteLine($"L2 recall@{K} at ef={HnswSettings.Default.EfSearch}: {recall:F4}");
        Assert.True(recall >= 0.95, $"recall {recall:F4} < 0.95 (seed {data.Seed})");

        // Scores are negated Euclidean distances, best first.
        var hits = new VectorHit[K];
        int n = index.Search(data.Queries[0], K, 64, hits);
        Assert.Equal(K, n);
        double expected = IndexTestData.Score(VectorMetric.L2, data.Queries[0], data.Vectors[hits[0].Label]);
        Assert.Equal(expected, hits[0].Score, 3);
        for (int i = 1; i < n; i++)
        {
            Assert.True(hits[i - 1].Score >= hits[i].Score);
        }
    }

    [Theory]
    [InlineData(10)]
    [InlineData(100)]
    public void FilteredSearchReturnsKAllowedHits(int modulus)
    {
        output.WriteLine($"seed {shared.Data.Seed}, filter allows 1/{modulus} of the labels");
        var filter = new ModuloFilter(modulus);
        var hits = new VectorHit[K];
        long found = 0;
        foreach (var q in shared.Data.Queries)
        {
            int n = shared.Index.Search(q, K, HnswSettings.Default.EfSearch, hits, filter);
            Assert.Equal(K, n);
            var truth = shared.Data.ExactTopK(VectorMetric.Cosine, q, K, l => l % modulus == 0).ToHashSet();
            for (int i = 0; i < n; i++)
            {
                Assert.True(hits[i].Label % modulus == 0, $"label {hits[i].Label} is not allowed");
                if (truth.Contains(hits[i].Label))
                {
                    found++;
                }
            }
        }

        double recall = (double)found / (K * shared.Data.Queries.Length);
        output.WriteLine($"filtered recall@{K}: {recall:F4}");
        Assert.True(recall >= 0.9, $"filtered recall {recall:F4} < 0.9");
    }

    [Fact]
    public void ExactSearchMatchesBruteForceAndSkipsUnknownLabels()
    {
        var labels = Enumerable.Range(0, 3000).Select(i => (long)(i * 5)).Append(-7).Append(10_000_000).ToArray();
        var hits = new VectorHit[K];
        foreach (var q in shared.Data.Queries.Take(20))
        {
            int n = shared.Index.ExactSearch(q, K, labels, hits);
            Assert.Equal(K, n);
            var truth = shared.Data.ExactTopK(VectorMetric.Cosine, q, K, l => l % 5 == 0 && l < 15_000);
            Assert.Equal(truth, hits.Select(h => h.Label).ToArray());
            Assert.Equal(IndexTestData.Score(VectorMetric.Cosine, q, shared.Data.Vectors[truth[0]]), hits[0].Score, 4);
        }
    }

    [Fact]
    public void EfIsRaisedToKAndResultsAreBestFirst()
    {
        var hits = new VectorHit[50];
        int n = shared.Index.Search(shared.Data.Queries[1], 50, 1, hits);
        Assert.Equal(50, n);
        Assert.Equal(50, hits.Select(h => h.Label).Distinct().Count());
        for (int i = 1; i < n; i++)
        {
            Assert.True(hits[i - 1].Score >= hits[i].Score);
        }

        Assert.Throws<ArgumentException>(() => shared.Index.Search(new float[3], 10, 64, hits));
    }

    private sealed class ModuloFilter(int modulus) : ILabelFilter
    {
        public bool Allows(long label) => label % modulus == 0;
    }
}
