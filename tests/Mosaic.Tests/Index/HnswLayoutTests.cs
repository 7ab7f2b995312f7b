using Mosaic.Core.Collections;
using Mosaic.Index;
using Xunit;

namespace Mosaic.Tests.Index;

/// <summary>
/// int8's split layout (codes, headers and level-0 links in three arrays) against one record per node: the same
/// graph, the same answers on every search path, the same bytes per vector and the same files, which load into
/// either layout.
/// </summary>
public sealed class HnswLayoutTests
{
    private const int K = 10;

    [Theory]
    [InlineData(VectorMetric.Dot, 128, 16)]
    [InlineData(VectorMetric.L2, 100, 12)]
    [InlineData(VectorMetric.Cosine, 64, 16)]
    public void SplitInt8LayoutAnswersAndSavesAsOneRecordPerNode(VectorMetric metric, int dimension, int m)
    {
        var data = new IndexTestData(IndexTestData.DefaultSeed(91), 2_000, 30, dimension);
        var settings = new HnswSettings(M: m, EfConstruction: 64, Quantization: VectorQuantization.Int8);
        using var split = data.Build(metric, parallel: false, settings);
        using var record = BuildRecordLayout(data, metric, settings);
        Assert.Equal(record.MemoryBytes, split.MemoryBytes);

        // Tombstones and a filter send searches down the restricted paths (single pool with allowed set, two heaps).
        for (long label = 0; label < 40; label += 3)
        {
            Assert.True(split.Remove(label));
            Assert.True(record.Remove(label));
        }

        AssertSameAnswers(data, record, split);
        byte[] recordFile = Save(record);
        Assert.Equal(recordFile, Save(split));

        // A file (e.g. a snapshot written before the split) loads into the split layout and answers the same.
        using var loaded = HnswIndex.Load(new MemoryStream(recordFile));
        AssertSameAnswers(data, record, loaded);

        // Updates reuse tombstones' slots in both layouts alike.
        for (long label = 0; label < 40; label += 3)
        {
            split.Add(label, data.Vectors[label + 1]);
            record.Add(label, data.Vectors[label + 1]);
        }

        Assert.Equal(record.NodeCount, split.NodeCount);
        AssertSameAnswers(data, record, split);
        Assert.Equal(Save(record), Save(split));
    }

    private static HnswIndex BuildRecordLayout(IndexTestData data, VectorMetric metric, HnswSettings settings)
    {
        HnswIndex.SplitLayout = false;
        try
        {
            return data.Build(metric, parallel: false, settings);
        }
        finally
        {
            HnswIndex.SplitLayout = true;
        }
    }

    private static void AssertSameAnswers(IndexTestData data, HnswIndex expected, HnswIndex actual)
    {
        var a = new VectorHit[K];
        var b = new VectorHit[K];
        var odd = new OddLabels();
        long[] some = [.. Enumerable.Range(0, 500).Select(i => (long)i * 3)];
        foreach (var q in data.Queries)
        {
            foreach (int ef in new[] { 10, 48 })
            {
                // With rescoring (exact scores) and without (the codes' scores).
                Assert.Equal(expected.Search(q, K, ef, a, source: data), actual.Search(q, K, ef, b, source: data));
                Assert.Equal(a, b);
                Assert.Equal(expected.Search(q, K, ef, a), actual.Search(q, K, ef, b));
                Assert.Equal(a, b);
                Assert.Equal(expected.Search(q, K, ef, a, odd, data), actual.Search(q, K, ef, b, odd, data));
                Assert.Equal(a, b);
            }

            Assert.Equal(expected.ExactSearch(q, K, some, a, data), actual.ExactSearch(q, K, some, b, data));
            Assert.Equal(a, b);
        }
    }

    private static byte[] Save(HnswIndex index)
    {
        using var file = new MemoryStream();
        index.Save(file);
        return file.ToArray();
    }

    private sealed class OddLabels : ILabelFilter
    {
        public bool Allows(long label) => label % 2 == 1;
    }
}
