using Mosaic.Core.Collections;
using Mosaic.Index;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.Tests.Index;

/// <summary>Incremental snapshots: a base, then deltas of the changed chunks only; loading gives the same graph, and a torn delta stops the chain there.</summary>
public sealed class HnswSnapshotTests(ITestOutputHelper output)
{
    private const int K = 10;

    [Theory]
    [InlineData(VectorQuantization.Float)]
    [InlineData(VectorQuantization.Int8)]
    public void DeltasWriteOnlyWhatChangedAndLoadToTheSameAnswers(VectorQuantization quantization)
    {
        var data = new IndexTestData(IndexTestData.DefaultSeed(81), 6_000, 30, 64);
        using var index = new HnswIndex(64, VectorMetric.Cosine, new HnswSettings(Quantization: quantization));
        for (int i = 0; i < 5_000; i++)
        {
            index.Add(i, data.Vectors[i]);
        }

        var ledger = new HnswSnapshotLedger();
        var files = new List<byte[]>();
        long full = Write(s => index.SaveBase(s, ledger), files);

        // A handful of changes: 5 inserts, 3 updates, 2 deletes.
        for (int i = 5_000; i < 5_005; i++)
        {
            index.Add(i, data.Vectors[i]);
        }

        for (int i = 0; i < 3; i++)
        {
            index.Add(i, data.Vectors[5_500 + i]);
        }

        index.Remove(10);
        index.Remove(11);
        long delta = Write(s => index.SaveDelta(s, ledger), files);
        output.WriteLine($"seed {data.Seed} {quantization}: base {full} bytes, delta after 10 changes {delta} bytes ({ledger.LastChunksWritten} chunks)");
        Assert.True(delta * 10 < full, $"delta {delta} bytes is not under a tenth of the base's {full}");

        // No change: the delta holds no chunk at all.
        long empty = Write(s => index.SaveDelta(s, ledger), files);
        Assert.Equal(0, ledger.LastChunksWritten);
        Assert.True(empty < 1_000, $"empty delta {empty} bytes");

        // Many more changes, then a third delta: base + three deltas load to the same index.
        for (int i = 5_005; i < 6_000; i++)
        {
            index.Add(i, data.Vectors[i]);
        }

        Write(s => index.SaveDelta(s, ledger), files);
        Assert.Equal(3, ledger.DeltaCount);
        var loadedLedger = new HnswSnapshotLedger();
        using var loaded = Load(files, loadedLedger);
        Assert.Equal(3, loadedLedger.DeltaCount);
        Assert.Equal(ledger.BaseId, loadedLedger.BaseId);
        AssertSameAnswers(data, index, loaded);

        // The loaded ledger continues the chain: one more change, one more delta, still the same answers.
        loaded.Add(6_000 - 1, data.Vectors[0]);
        var next = new MemoryStream();
        loaded.SaveDelta(next, loadedLedger);
        files.Add(next.ToArray());
        using var reloaded = Load(files, new HnswSnapshotLedger());
        AssertSameAnswers(data, loaded, reloaded);
    }

    [Fact]
    public void ATornDeltaStopsTheChainAtTheLastIntactOne()
    {
        var data = new IndexTestData(IndexTestData.DefaultSeed(82), 3_000, 20, 32);
        using var index = new HnswIndex(32, VectorMetric.L2, new HnswSettings());
        var ledger = new HnswSnapshotLedger();
        var files = new List<byte[]>();
        for (int i = 0; i < 2_000; i++)
        {
            index.Add(i, data.Vectors[i]);
        }

        Write(s => index.SaveBase(s, ledger), files);
        for (int i = 2_000; i < 2_500; i++)
        {
            index.Add(i, data.Vectors[i]);
        }

        Write(s => index.SaveDelta(s, ledger), files);
        using var atFirstDelta = Load(files, new HnswSnapshotLedger());
        for (int i = 2_500; i < 3_000; i++)
        {
            index.Add(i, data.Vectors[i]);
        }

        Write(s => index.SaveDelta(s, ledger), files);

        // kill -9 while the second delta was written: it is cut short (or a bit flipped); the first still applies.
        var torn = new List<byte[]>(files);
        torn[2] = files[2][..(files[2].Length / 2)];
        var tornLedger = new HnswSnapshotLedger();
        using var fromTorn = Load(torn, tornLedger);
        Assert.Equal(1, tornLedger.DeltaCount);
        Assert.Equal(2_500, fromTorn.Count);
        AssertSameAnswers(data, atFirstDelta, fromTorn);

        var flipped = new List<byte[]>(files);
        flipped[2] = (byte[])files[2].Clone();
        flipped[2][flipped[2].Length / 2] ^= 0x40;
        var flippedLedger = new HnswSnapshotLedger();
        using var fromFlipped = Load(flipped, flippedLedger);
        Assert.Equal(1, flippedLedger.DeltaCount);
        AssertSameAnswers(data, atFirstDelta, fromFlipped);

        // A delta of another base never applies; a damaged base is an error (the caller rebuilds).
        var otherLedger = new HnswSnapshotLedger();
        var other = new MemoryStream();
        index.SaveBase(other, otherLedger);
        var foreign = new List<byte[]> { other.ToArray(), files[1] };
        var foreignLedger = new HnswSnapshotLedger();
        using var fromForeign = Load(foreign, foreignLedger);
        Assert.Equal(0, foreignLedger.DeltaCount);
        var badBase = new List<byte[]> { files[0][..(files[0].Length - 3)], files[1] };
        Assert.Throws<InvalidDataException>(() => Load(badBase, new HnswSnapshotLedger()));
    }

    private static long Write(Func<Stream, long> save, List<byte[]> files)
    {
        var stream = new MemoryStream();
        long bytes = save(stream);
        Assert.Equal(stream.Length, bytes);
        files.Add(stream.ToArray());
        return bytes;
    }

    private static HnswIndex Load(List<byte[]> files, HnswSnapshotLedger ledger) =>
        HnswIndex.Load(new MemoryStream(files[0]), [.. files.Skip(1).Select(f => (Stream)new MemoryStream(f))], ledger);

    private static void AssertSameAnswers(IndexTestData data, HnswIndex expected, HnswIndex actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected.NodeCount, actual.NodeCount);
        var a = new VectorHit[K];
        var b = new VectorHit[K];
        foreach (var q in data.Queries)
        {
            Assert.Equal(expected.Search(q, K, 32, a, source: data), actual.Search(q, K, 32, b, source: data));
            Assert.Equal(a, b);
        }
    }
}
