using Mosaic.Core.Collections;
using Mosaic.Index;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.Tests.Index;

/// <summary>Deletes (tombstones) and replace-by-label.</summary>
public sealed class HnswMutationTests(ITestOutputHelper output)
{
    private const int K = 10;

    [Fact]
    public void DeletedLabelsAreNeverReturnedAndRecallHoldsAfterDeleting20Percent()
    {
        var data = new IndexTestData(IndexTestData.DefaultSeed(7), 20_000, 200, 80);
        output.WriteLine($"seed {data.Seed}");
        using var index = data.Build(VectorMetric.Cosine, parallel: true);
        var random = new Random(data.Seed);
        var deleted = new HashSet<long>();
        while (deleted.Count < 4_000)
        {
            long label = random.Next(20_000);
            if (deleted.Add(label))
            {
                Assert.True(index.Remove(label));
            }
        }

        Assert.False(index.Remove(deleted.First()));
        Assert.Equal(16_000, index.Count);
        Assert.False(index.Contains(deleted.First()));

        var hits = new VectorHit[K];
        foreach (var q in data.Queries)
        {
            int n = index.Search(q, K, 64, hits);
            Assert.Equal(K, n);
            Assert.DoesNotContain(hits, h => deleted.Contains(h.Label));
        }

        // A query equal to a deleted vector must not find it.
        foreach (long label in deleted.Take(50))
        {
            int n = index.Search(data.Vectors[label], K, 64, hits);
            Assert.DoesNotContain(hits.Take(n), h => h.Label == label);
        }

        double recall = data.Recall(index, VectorMetric.Cosine, K, 64, l => !deleted.Contains(l));
        output.WriteLine($"recall@{K} at ef=64 after deleting 20%: {recall:F4}");
        Assert.True(recall >= 0.95, $"recall {recall:F4} < 0.95 after deletes (seed {data.Seed})");
    }

    [Fact]
    public void AddingAnExistingLabelReplacesItsVector()
    {
        var data = new IndexTestData(IndexTestData.DefaultSeed(11), 2_000, 0, 32);
        using var index = data.Build(VectorMetric.L2, parallel: false);
        float[] oldVector = data.Vectors[5];
        float[] newVector = data.Vectors[1500].Select(x => x + 0.01f).ToArray();
        index.Add(5, newVector);
        Assert.Equal(2_000, index.Count);
        Assert.True(index.Contains(5));

        var hits = new VectorHit[K];
        int n = index.Search(newVector, K, 64, hits);
        Assert.Equal(5, hits[0].Label);
        Assert.Equal(1, hits.Take(n).Count(h => h.Label == 5));

        // The old vector is gone: searching for it finds label 5 only at the new vector's distance, if at all.
        n = index.Search(oldVector, K, 64, hits);
        foreach (var hit in hits.Take(n).Where(h => h.Label == 5))
        {
            Assert.Equal(IndexTestData.Score(VectorMetric.L2, oldVector, newVector), hit.Score, 3);
        }

        Assert.DoesNotContain(hits.Take(n), h => h.Label == 5 && h.Score > -1e-3f);
    }

    [Fact]
    public void AddParallelReplacesExistingAndRepeatedLabels()
    {
        var data = new IndexTestData(IndexTestData.DefaultSeed(13), 1_000, 0, 16);
        using var index = new HnswIndex(16, VectorMetric.L2, HnswSettings.Default, 16, data.Seed);
        for (int i = 0; i < 500; i++)
        {
            index.Add(i, data.Vectors[i]);
        }

        // Label 7 exists already; label 600 appears twice in the batch (the last one wins).
        long[] labels = [7, 600, 601, 600];
        float[] rows = [.. data.Vectors[900], .. data.Vectors[901], .. data.Vectors[902], .. data.Vectors[903]];
        index.AddParallel(labels, rows, 2);
        Assert.Equal(502, index.Count);

        var hits = new VectorHit[3];
        Assert.True(index.Search(data.Vectors[900], 3, 32, hits) > 0);
        Assert.Equal(new VectorHit(7, 0f), hits[0]);
        Assert.True(index.Search(data.Vectors[903], 3, 32, hits) > 0);
        Assert.Equal(new VectorHit(600, 0f), hits[0]);
        int n = index.Search(data.Vectors[901], 3, 32, hits);
        Assert.DoesNotContain(hits.Take(n), h => h.Label == 600 && h.Score == 0f);
        Assert.Throws<ArgumentException>(() => index.AddParallel(labels, rows.AsSpan(1), 2));
    }

    [Fact]
    public void EmptyIndexAndArgumentChecks()
    {
        using var index = new HnswIndex(8, VectorMetric.Dot, HnswSettings.Default);
        var hits = new VectorHit[4];
        Assert.Equal(0, index.Search(new float[8], 4, 10, hits));
        Assert.Equal(0, index.ExactSearch(new float[8], 4, [1, 2], hits));
        Assert.Throws<ArgumentException>(() => index.Add(1, new float[7]));
        Assert.Throws<ArgumentException>(() => index.Add(1, [1, 2, 3, 4, 5, 6, 7, float.NaN]));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.Add(-1, new float[8]));
        index.Add(3, [1, 0, 0, 0, 0, 0, 0, 0]);
        Assert.Equal(1, index.Search([2, 0, 0, 0, 0, 0, 0, 0], 4, 10, hits));
        Assert.Equal(new VectorHit(3, 2f), hits[0]);
    }
}
