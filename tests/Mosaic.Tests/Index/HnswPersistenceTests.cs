using Mosaic.Core.Collections;
using Mosaic.Index;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.Tests.Index;

/// <summary>Save/Load round trip (graph, tombstones, label map) and rejection of damaged files.</summary>
public sealed class HnswPersistenceTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(VectorMetric.Cosine)]
    [InlineData(VectorMetric.L2)]
    public void RoundTripGivesIdenticalResults(VectorMetric metric)
    {
        var data = new IndexTestData(IndexTestData.DefaultSeed(21), 5_000, 50, 40);
        output.WriteLine($"seed {data.Seed}");
        using var index = data.Build(metric, parallel: true);
        for (long label = 0; label < 5_000; label += 7)
        {
            index.Remove(label);
        }

        index.Add(3, data.Vectors[4000]);
        var bytes = Save(index);
        using var loaded = HnswIndex.Load(new MemoryStream(bytes));
        Assert.Equal(index.Count, loaded.Count);
        Assert.Equal(index.Dimension, loaded.Dimension);
        Assert.Equal(index.Metric, loaded.Metric);
        Assert.Equal(index.Settings, loaded.Settings);
        Assert.False(loaded.Contains(7));
        Assert.True(loaded.Contains(3));

        var expected = new VectorHit[10];
        var actual = new VectorHit[10];
        var filter = new EvenFilter();
        foreach (var q in data.Queries)
        {
            Assert.Equal(index.Search(q, 10, 32, expected), loaded.Search(q, 10, 32, actual));
            Assert.Equal(expected, actual);
            Assert.Equal(index.Search(q, 10, 32, expected, filter), loaded.Search(q, 10, 32, actual, filter));
            Assert.Equal(expected, actual);
        }

        // The loaded index keeps working as a normal index.
        loaded.Add(123_456, data.Queries[0]);
        Assert.Equal(123_456, loaded.Search(data.Queries[0], 1, 16, actual) == 1 ? actual[0].Label : -1);
        Assert.Equal(bytes, Save(HnswIndex.Load(new MemoryStream(bytes))));
    }

    [Fact]
    public void TruncatedOrCorruptFilesThrowInvalidDataException()
    {
        var data = new IndexTestData(IndexTestData.DefaultSeed(5), 1_000, 0, 16);
        using var index = data.Build(VectorMetric.Dot, parallel: false);
        var bytes = Save(index);
        foreach (int length in new[] { 0, 3, 20, 60, bytes.Length / 2, bytes.Length - 9, bytes.Length - 1 })
        {
            Assert.Throws<InvalidDataException>(() => HnswIndex.Load(new MemoryStream(bytes[..length])));
        }

        var random = new Random(data.Seed);
        for (int i = 0; i < 20; i++)
        {
            var damaged = (byte[])bytes.Clone();
            damaged[random.Next(damaged.Length)] ^= (byte)(1 << random.Next(8));
            Assert.Throws<InvalidDataException>(() => HnswIndex.Load(new MemoryStream(damaged)));
        }

        using var empty = new HnswIndex(4, VectorMetric.L2, HnswSettings.Default);
        using var loadedEmpty = HnswIndex.Load(new MemoryStream(Save(empty)));
        Assert.Equal(0, loadedEmpty.Count);
    }

    private static byte[] Save(HnswIndex index)
    {
        var stream = new MemoryStream();
        index.Save(stream);
        return stream.ToArray();
    }

    private sealed class EvenFilter : ILabelFilter
    {
        public bool Allows(long label) => label % 2 == 0;
    }
}
