using Mosaic.Core.Collections;
using Mosaic.Index;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.Tests.Index;

/// <summary>Tombstoned records are reused by later inserts: the node count stays bounded and recall holds over update rounds.</summary>
public sealed class HnswReclamationTests(ITestOutputHelper output)
{
    private const int K = 10;

    [Theory]
    [InlineData(VectorQuantization.Float)]
    [InlineData(VectorQuantization.Int8)]
    public void TenRoundsOfUpdatingEveryVectorKeepNodeCountAndRecall(VectorQuantization quantization)
    {
        const int N = 3_000;
        const int Rounds = 10;
        var pool = new IndexTestData(IndexTestData.DefaultSeed(81), N * (Rounds + 1), 100, 32);
        var current = new IndexTestData(IndexTestData.DefaultSeed(81), N, 0, 32);
        Array.Copy(pool.Vectors, current.Vectors, N);
        using var index = new HnswIndex(32, VectorMetric.L2, new HnswSettings(Quantization: quantization), N, pool.Seed);
        for (int i = 0; i < N; i++)
        {
            index.Add(i, current.Vectors[i]);
        }

        double first = Recall(index, current, pool.Queries);
        for (int round = 1; round <= Rounds; round++)
        {
            for (int i = 0; i < N; i++)
            {
                current.Vectors[i] = pool.Vectors[(round * N) + i];
                index.Add(i, current.Vectors[i]);
            }
        }

        double last = Recall(index, current, pool.Queries);
        output.WriteLine($"seed {pool.Seed} {quantization}: recall@{K} at ef=64 {first:F4} after load, {last:F4} after {Rounds} rounds; {index.NodeCount} nodes for {index.Count} vectors");
        Assert.Equal(N, index.Count);
        Assert.InRange(index.NodeCount, N, N + 2);
        Assert.True(last >= 0.95, $"recall after {Rounds} rounds {last:F4} < 0.95");
    }

    [Fact]
    public void DeletesThenInsertsOfNewLabelsReuseRecordsAndSearchesSkipTombstones()
    {
        var data = new IndexTestData(IndexTestData.DefaultSeed(82), 4_000, 100, 24);
        using var index = new HnswIndex(24, VectorMetric.Cosine, HnswSettings.Default, 2_000, data.Seed);
        for (int i = 0; i < 2_000; i++)
        {
            index.Add(i, data.Vectors[i]);
        }

        // Delete every other label: searches now run the restricted path and must not return deleted labels.
        for (int i = 0; i < 2_000; i += 2)
        {
            Assert.True(index.Remove(i));
        }

        Assert.Equal(1_000, index.Count);
        var hits = new VectorHit[K];
        foreach (var q in data.Queries)
        {
            Assert.Equal(K, index.Search(q, K, 64, hits));
            Assert.All(hits, h => Assert.Equal(1, h.Label % 2));
        }

        // New labels take the freed records: the node count does not move.
        for (int i = 2_000; i < 3_000; i++)
        {
            index.Add(i, data.Vectors[i]);
        }

        Assert.Equal(2_000, index.Count);
        Assert.InRange(index.NodeCount, 2_000, 2_001);
        double recall = data.Recall(index, VectorMetric.Cosine, K, 64, allowed: l => l < 3_000 && (l % 2 == 1 || l >= 2_000));
        output.WriteLine($"seed {data.Seed}: recall@{K} after delete + reuse {recall:F4}");
        Assert.True(recall >= 0.95, $"recall {recall:F4} < 0.95");
    }

    private static double Recall(HnswIndex index, IndexTestData current, float[][] queries)
    {
        var hits = new VectorHit[K];
        long found = 0;
        foreach (var q in queries)
        {
            var truth = current.ExactTopK(VectorMetric.L2, q, K).ToHashSet();
            int n = index.Search(q, K, 64, hits, source: current);
            found += hits.Take(n).Count(h => truth.Contains(h.Label));
        }

        return (double)found / (K * queries.Length);
    }
}
