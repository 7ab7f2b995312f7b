using Mosaic.Index.Graph;
using Xunit;

namespace Mosaic.Tests.Index;

/// <summary>The index's label map (ids only, labels read from the records) agrees with a dictionary under any mix of writes.</summary>
public sealed class LabelMapTests
{
    [Theory]
    [InlineData(0, 1)]
    [InlineData(5_000, 2)]
    public void AgreesWithADictionaryUnderRandomAddsReplacesAndRemoves(int expected, int seed)
    {
        // "Records": id -> label, as the index's node headers; ids are never rewritten while mapped.
        var records = new List<long>();
        var map = new LabelMap(id => records[id], expected);
        var reference = new Dictionary<long, int>();
        var random = new Random(seed);
        for (int step = 0; step < 40_000; step++)
        {
            // Few distinct labels, some sequential (row ids) and some far apart, so runs collide and wrap around.
            long label = random.Next(4) == 0 ? random.NextInt64(0, long.MaxValue) : random.Next(3_000);
            int op = random.Next(10);
            if (op < 6)
            {
                records.Add(label);
                int id = records.Count - 1;
                map.Set(label, id);
                reference[label] = id;
            }
            else if (op < 9)
            {
                Assert.Equal(reference.Remove(label), map.Remove(label));
            }
            else
            {
                records.Add(label);
                Assert.Equal(reference.TryAdd(label, records.Count - 1), map.TryAdd(label, records.Count - 1));
            }

            Assert.Equal(reference.Count, map.Count);
            if (step % 1000 == 0)
            {
                foreach (var (l, id) in reference)
                {
                    Assert.True(map.TryGetValue(l, out int got));
                    Assert.Equal(id, got);
                }
            }
        }

        for (long l = 0; l < 3_000; l++)
        {
            Assert.Equal(reference.TryGetValue(l, out int want), map.TryGetValue(l, out int got));
            Assert.Equal(reference.ContainsKey(l) ? want : -1, got);
        }

        // Four bytes a slot at a load of at least one half after growing.
        Assert.InRange(map.Bytes, 4L * map.Count, 8L * Math.Max(map.Count, expected) + 64);
    }

    [Fact]
    public void RemovingEveryLabelLeavesAnEmptyMapThatStillWorks()
    {
        var records = new List<long>();
        var map = new LabelMap(id => records[id]);
        for (long l = 0; l < 1_000; l++)
        {
            records.Add(l * 7919);
            Assert.True(map.TryAdd(l * 7919, (int)l));
        }

        Assert.False(map.TryAdd(7919, 5));
        for (long l = 999; l >= 0; l--)
        {
            Assert.True(map.Remove(l * 7919));
            Assert.False(map.ContainsKey(l * 7919));
            if (l > 0)
            {
                Assert.True(map.TryGetValue((l - 1) * 7919, out int id));
                Assert.Equal(l - 1, id);
            }
        }

        Assert.Equal(0, map.Count);
        Assert.False(map.Remove(0));
        records.Add(42);
        map.Set(42, 1_000);
        Assert.True(map.TryGetValue(42, out int last));
        Assert.Equal(1_000, last);
    }

    [Fact]
    public void RowIdsInAnyOrderAreFoundAndEndMostlyInTheDenseArray()
    {
        const int N = 50_000;
        var labels = Enumerable.Range(0, N).Select(i => (long)i).ToArray();
        new Random(3).Shuffle(labels);
        // Ids are positions in arrival order; a few far labels stay in the hash beside them.
        var records = labels.Concat([long.MaxValue - 1, 1L << 40]).ToList();
        var map = new LabelMap(id => records[id]);
        for (int id = 0; id < records.Count; id++)
        {
            Assert.True(map.TryAdd(records[id], id));
        }

        Assert.Equal(records.Count, map.Count);
        for (int id = 0; id < records.Count; id++)
        {
            Assert.True(map.TryGetValue(records[id], out int got));
            Assert.Equal(id, got);
        }

        Assert.False(map.TryGetValue(N, out _));
        Assert.False(map.AllDense);
        Assert.False(map.TryAdd(labels[7], 12345));

        // Dense: a label's look-up reads no record (no home id) and the whole map is ~4 bytes a label.
        Assert.True(Enumerable.Range(0, N).Count(l => map.HomeId(l) == -1) > N * 9 / 10);
        Assert.InRange(map.Bytes, 4L * N, 6L * N);

        // Removing and re-adding dense labels, and replacing one, keeps the answers.
        for (long l = 0; l < N; l += 3)
        {
            Assert.True(map.Remove(l));
        }

        for (long l = 0; l < N; l++)
        {
            Assert.Equal(l % 3 != 0, map.ContainsKey(l));
        }

        records.Add(0);
        map.Set(0, records.Count - 1);
        records.Add(1);
        map.Set(1, records.Count - 1);
        Assert.True(map.TryGetValue(0, out int zero));
        Assert.Equal(records.Count - 2, zero);
        Assert.True(map.TryGetValue(1, out int one));
        Assert.Equal(records.Count - 1, one);
        Assert.Equal(N - ((N + 2) / 3) + 2 + 1, map.Count);
        Assert.True(map.Remove(long.MaxValue - 1));
        Assert.True(map.Remove(1L << 40));
        Assert.True(map.AllDense);
    }
}
