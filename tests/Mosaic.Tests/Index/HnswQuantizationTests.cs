using Mosaic.Core.Collections;
using Mosaic.Index;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.Tests.Index;

/// <summary>int8 and binary graphs against exact search on clustered data, at fixed ef, with rescoring on the float vectors.</summary>
public sealed class HnswQuantizationTests(ITestOutputHelper output)
{
    private const int K = 10;

    [Theory]
    [InlineData(VectorMetric.Cosine)]
    [InlineData(VectorMetric.L2)]
    public void Int8RecallIsWithinOneHundredthOfFloatAtTheSameEf(VectorMetric metric)
    {
        var data = new IndexTestData(IndexTestData.DefaultSeed(71), 8_000, 200, 64);
        using var floats = data.Build(metric, parallel: true);
        using var int8 = data.Build(metric, parallel: true, new HnswSettings(Quantization: VectorQuantization.Int8));
        double floatRecall = data.Recall(floats, metric, K, 64);
        double int8Recall = data.Recall(int8, metric, K, 64, source: data);
        output.WriteLine($"seed {data.Seed} {metric}: recall@{K} at ef=64 float {floatRecall:F4}, int8 {int8Recall:F4}");
        Assert.True(int8Recall >= floatRecall - 0.01, $"int8 {int8Recall:F4} vs float {floatRecall:F4}");
        Assert.True(int8Recall >= 0.95, $"int8 recall {int8Recall:F4} < 0.95");

        // Rescored scores are the exact ones, best first; a code saves at least 3/4 of a float vector's bytes per record.
        AssertExactScoresBestFirst(data, int8, metric);

        long saved = floats.MemoryBytes - int8.MemoryBytes;
        Assert.True(saved >= 0.75 * 64 * sizeof(float) * data.Vectors.Length, $"{int8.MemoryBytes} vs {floats.MemoryBytes} bytes");
    }

    [Fact]
    public void Int8MemoryPerVectorIsAtMostFourTenthsOfFloatAt128DimensionsWithM16()
    {
        // The target, graph included: records (code or padded floats, header, 32 level-0 links), upper
        // links and the label map. M=16 is the default; a small efConstruction keeps the build short (memory does
        // not depend on it).
        var data = new IndexTestData(IndexTestData.DefaultSeed(77), 3_000, 1, 128);
        var settings = new HnswSettings(M: 16, EfConstruction: 24);
        using var floats = data.Build(VectorMetric.Dot, parallel: true, settings);
        using var int8 = data.Build(VectorMetric.Dot, parallel: true, settings with { Quantization = VectorQuantization.Int8 });
        double ratio = (double)int8.MemoryBytes / floats.MemoryBytes;
        output.WriteLine($"seed {data.Seed}: int8 {int8.MemoryBytes / 3_000.0:F1} B/vector, float {floats.MemoryBytes / 3_000.0:F1}, ratio {ratio:F3}");
        Assert.True(ratio <= 0.4, $"int8 {int8.MemoryBytes} vs float {floats.MemoryBytes} bytes: {ratio:F3}");
    }

    [Fact]
    public void Int8WithoutSourceReturnsApproximateScoresInOrder()
    {
        var data = new IndexTestData(IndexTestData.DefaultSeed(72), 3_000, 50, 32);
        using var int8 = data.Build(VectorMetric.Dot, parallel: false, new HnswSettings(Quantization: VectorQuantization.Int8));
        double recall = data.Recall(int8, VectorMetric.Dot, K, 64);
        output.WriteLine($"seed {data.Seed}: int8 without rescoring recall@{K} {recall:F4}");
        Assert.True(recall >= 0.80, $"recall {recall:F4} < 0.80");
        var hits = new VectorHit[K];
        Assert.Equal(K, int8.Search(data.Queries[1], K, 64, hits));
        for (int i = 0; i < K; i++)
        {
            double exact = IndexTestData.Score(VectorMetric.Dot, data.Queries[1], data.Vectors[hits[i].Label]);
            Assert.InRange(hits[i].Score, exact - (0.05 * Math.Abs(exact)) - 0.5, exact + (0.05 * Math.Abs(exact)) + 0.5);
            Assert.True(i == 0 || hits[i - 1].Score >= hits[i].Score);
        }
    }

    [Theory]
    [InlineData(VectorMetric.Cosine)]
    [InlineData(VectorMetric.L2)]
    public void BinaryRecallWithRescoringAt384Dimensions(VectorMetric metric)
    {
        // The walk runs on 4-bit queries against 1-bit codes; the best max(4k, ef/4) of the pool are rescored.
        var data = new IndexTestData(IndexTestData.DefaultSeed(73), 4_000, 100, 384);
        using var binary = data.Build(metric, parallel: true, new HnswSettings(Quantization: VectorQuantization.Binary));
        double atDefault = data.Recall(binary, metric, K, 64, source: data);
        double atHigh = data.Recall(binary, metric, K, 256, source: data);
        double exact = ExactSearchRecall(data, binary, metric);
        output.WriteLine($"seed {data.Seed} {metric}: binary recall@{K} with rescoring at ef=64 {atDefault:F4}, ef=256 {atHigh:F4}, exact search {exact:F4}");
        Assert.True(atDefault >= 0.90, $"binary recall at ef=64 {atDefault:F4} < 0.90");
        Assert.True(atHigh >= 0.95, $"binary recall at ef=256 {atHigh:F4} < 0.95");
        Assert.True(exact >= 0.97, $"binary exact search recall {exact:F4} < 0.97");

        AssertExactScoresBestFirst(data, binary, metric);
    }

    [Theory]
    [InlineData(VectorMetric.Dot, 1536)]
    [InlineData(VectorMetric.L2, 1536)]
    [InlineData(VectorMetric.Cosine, 1100)]
    public void BinaryRecallWithRescoringAtDimensionsBetweenPowersOfTwo(VectorMetric metric, int dimension)
    {
        // 1536 bits of code: the rotation must keep every coordinate it spreads the vector over (it once went to 2048
        // and the code kept 1536 of them, so a quarter of every dot product was missing from the estimate and its
        // bound, and recall stopped near 0.75 whatever ef).
        var data = new IndexTestData(IndexTestData.DefaultSeed(79), 2_000, 50, dimension);
        using var binary = data.Build(metric, parallel: true, new HnswSettings(Quantization: VectorQuantization.Binary));
        double atDefault = data.Recall(binary, metric, K, 64, source: data);
        double exact = ExactSearchRecall(data, binary, metric);
        output.WriteLine($"seed {data.Seed} {metric} {dimension}-d: binary recall@{K} with rescoring at ef=64 {atDefault:F4}, exact search {exact:F4}");
        Assert.True(atDefault >= 0.90, $"binary recall at ef=64 {atDefault:F4} < 0.90");
        Assert.True(exact >= 0.97, $"binary exact search recall {exact:F4} < 0.97");
    }

    [Theory]
    [InlineData(VectorMetric.Dot)]
    [InlineData(VectorMetric.L2)]
    public void BinaryRescoringInPlaceGivesTheSameHitsAsCopies(VectorMetric metric)
    {
        // A source that holds its rows in memory is read in place (TryPeek); the hits must be those of the copy path.
        var data = new IndexTestData(IndexTestData.DefaultSeed(75), 2_000, 40, 384);
        using var binary = data.Build(metric, parallel: false, new HnswSettings(Quantization: VectorQuantization.Binary));
        var peeking = new PeekingSource(data);
        var copying = new CountingSource(data);
        var copied = new VectorHit[K];
        var inPlace = new VectorHit[K];
        foreach (var q in data.Queries)
        {
            int n = binary.Search(q, K, 64, copied, source: copying);
            Assert.Equal(n, binary.Search(q, K, 64, inPlace, source: peeking));
            Assert.Equal(K, n);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(copied[i].Label, inPlace[i].Label);
                Assert.Equal(copied[i].Score, inPlace[i].Score, 3);
            }
        }

        Assert.True(peeking.Peeks >= K * data.Queries.Length, $"{peeking.Peeks} rows read in place");

        // The window at ef=64 is 40 candidates; the error bounds rule some out without reading their rows.
        double reads = (double)copying.Reads / data.Queries.Length;
        output.WriteLine($"seed {data.Seed} {metric}: {reads:F1} rows read per query for a window of 40");
        Assert.InRange(reads, K, 39.5);
    }

    [Theory]
    [InlineData(VectorMetric.Dot)]
    [InlineData(VectorMetric.L2)]
    public void BinaryWithoutSourceEstimatesTheDistances(VectorMetric metric)
    {
        // Without rescoring, scores are the per-code corrected estimates (RaBitQ's): close to the exact ones, and
        // better than the estimate without the correction would need to be to rank a far vector like a near one.
        var data = new IndexTestData(IndexTestData.DefaultSeed(76), 3_000, 50, 384);
        using var binary = data.Build(metric, parallel: false, new HnswSettings(Quantization: VectorQuantization.Binary));
        var hits = new VectorHit[K];
        double error = 0, spread = 0;
        int count = 0;
        foreach (var q in data.Queries)
        {
            int n = binary.Search(q, K, 64, hits);
            Assert.Equal(K, n);
            double[] exact = [.. hits.Select(h => IndexTestData.Score(metric, q, data.Vectors[h.Label]))];
            double mean = exact.Average();
            for (int i = 0; i < n; i++)
            {
                Assert.True(i == 0 || hits[i - 1].Score >= hits[i].Score);
                error += Math.Abs(hits[i].Score - exact[i]);
                spread += Math.Abs(exact[i]);
                count++;
            }
        }

        double relative = error / spread;
        output.WriteLine($"seed {data.Seed} {metric}: mean |estimate - exact| / mean |exact| = {relative:F4}");
        Assert.True(relative < 0.10, $"binary estimates off by {relative:P1} on average");
    }

    [Fact]
    public void BelowTrainingSizeSearchesAreExactAndFilteredAndRemovable()
    {
        var data = new IndexTestData(IndexTestData.DefaultSeed(74), 200, 20, 24);
        using var index = data.Build(VectorMetric.L2, parallel: false, new HnswSettings(Quantization: VectorQuantization.Int8));
        Assert.Equal(200, index.Count);
        Assert.Equal(0, index.NodeCount);
        Assert.Equal(1.0, data.Recall(index, VectorMetric.L2, K, 16));
        Assert.True(index.Remove(5));
        Assert.False(index.Contains(5));
        var hits = new VectorHit[K];
        Assert.Equal(K, index.Search(data.Vectors[5], K, 16, hits, new OddLabels()));
        Assert.All(hits, h => Assert.Equal(1, h.Label % 2));
        Assert.DoesNotContain(hits, h => h.Label == 5);
    }

    [Theory]
    [InlineData(VectorQuantization.Int8, 150)]
    [InlineData(VectorQuantization.Int8, 1_500)]
    [InlineData(VectorQuantization.Binary, 1_500)]
    public void SavedAndLoadedQuantizedIndexAnswersTheSame(VectorQuantization quantization, int count)
    {
        var data = new IndexTestData(IndexTestData.DefaultSeed(75), count, 20, 384);
        using var index = data.Build(VectorMetric.Cosine, parallel: false, new HnswSettings(Quantization: quantization));
        index.Remove(3);
        using var file = new MemoryStream();
        index.Save(file);
        file.Position = 0;
        using var loaded = HnswIndex.Load(file);
        Assert.Equal(quantization, loaded.Quantization);
        Assert.Equal(index.Count, loaded.Count);
        var expected = new VectorHit[K];
        var actual = new VectorHit[K];
        foreach (var q in data.Queries)
        {
            Assert.Equal(index.Search(q, K, 32, expected, source: data), loaded.Search(q, K, 32, actual, source: data));
            Assert.Equal(expected, actual);
        }
    }

    /// <summary>Rescored scores are the exact ones, best first.</summary>
    private static void AssertExactScoresBestFirst(IndexTestData data, HnswIndex index, VectorMetric metric)
    {
        var hits = new VectorHit[K];
        Assert.Equal(K, index.Search(data.Queries[0], K, 64, hits, source: data));
        for (int i = 0; i < K; i++)
        {
            Assert.Equal(IndexTestData.Score(metric, data.Queries[0], data.Vectors[hits[i].Label]), hits[i].Score, 3);
            Assert.True(i == 0 || hits[i - 1].Score >= hits[i].Score);
        }
    }

    /// <summary>Recall of ExactSearch over every label (estimates pick the candidates, rescoring orders them).</summary>
    private static double ExactSearchRecall(IndexTestData data, HnswIndex index, VectorMetric metric)
    {
        long[] all = [.. Enumerable.Range(0, data.Vectors.Length).Select(i => (long)i)];
        var hits = new VectorHit[K];
        long found = 0;
        foreach (var q in data.Queries)
        {
            var truth = data.ExactTopK(metric, q, K).ToHashSet();
            int n = index.ExactSearch(q, K, all, hits, data);
            found += hits.Take(n).Count(h => truth.Contains(h.Label));
        }

        return (double)found / (K * data.Queries.Length);
    }

    /// <summary>The test data as a copying source that counts its reads.</summary>
    private sealed class CountingSource(IndexTestData data) : IVectorSource
    {
        public int Reads { get; private set; }

        public bool TryRead(long label, Span<float> destination)
        {
            Reads++;
            return data.TryRead(label, destination);
        }
    }

    /// <summary>The test data as a source that lends its rows in place.</summary>
    private sealed class PeekingSource(IndexTestData data) : IVectorSource
    {
        public int Peeks { get; private set; }

        public bool TryRead(long label, Span<float> destination) => data.TryRead(label, destination);

        public bool TryPeek(long label, out ReadOnlySpan<float> vector)
        {
            Peeks++;
            vector = data.Vectors[label];
            return true;
        }
    }

    private sealed class OddLabels : ILabelFilter
    {
        public bool Allows(long label) => label % 2 == 1;
    }
}
