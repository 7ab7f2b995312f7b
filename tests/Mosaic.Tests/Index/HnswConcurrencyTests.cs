using System.Diagnostics;
using Mosaic.Core.Collections;
using Mosaic.Index;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.Tests.Index;

/// <summary>Searches running while a writer adds, replaces and removes: nothing throws and every answer is well formed.</summary>
public sealed class HnswConcurrencyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ConcurrentAddAndSearchThrowNothing()
    {
        var data = new IndexTestData(IndexTestData.DefaultSeed(3), 30_000, 100, 32);
        output.WriteLine($"seed {data.Seed}");

        // Small initial capacity so that segments are added while readers run.
        using var index = new HnswIndex(data.Dimension, VectorMetric.Cosine, new HnswSettings(8, 64), initialCapacity: 64, data.Seed);
        for (int i = 0; i < 500; i++)
        {
            index.Add(i, data.Vectors[i]);
        }

        var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        int written = 500;
        long searches = 0;
        var writer = Task.Factory.StartNew(() =>
        {
            var random = new Random(data.Seed);
            try
            {
                while (!stop.IsCancellationRequested && written < data.Vectors.Length)
                {
                    int op = random.Next(10);
                    if (op < 7)
                    {
                        index.Add(written, data.Vectors[written]);
                        written++;
                    }
                    else if (op < 9)
                    {
                        index.Add(random.Next(written), data.Vectors[random.Next(data.Vectors.Length)]);
                    }
                    else
                    {
                        index.Remove(random.Next(written));
                    }
                }
            }
            catch (Exception ex)
            {
                errors.Enqueue(ex);
            }
        }, TaskCreationOptions.LongRunning);

        // Dedicated threads: on a 2-core machine the thread pool would start them late.
        var readers = Enumerable.Range(0, 3).Select(r => Task.Factory.StartNew(() =>
        {
            var hits = new VectorHit[10];
            var filter = new OddFilter();
            int i = 0;
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    var q = data.Queries[i++ % data.Queries.Length];
                    int n = (i % 3) switch
                    {
                        0 => index.Search(q, 10, 32, hits),
                        1 => index.Search(q, 10, 32, hits, filter),
                        _ => index.ExactSearch(q, 10, [1, 2, 3, 4, 5, 1000, 2000], hits),
                    };
                    Assert.InRange(n, 0, 10);
                    for (int j = 0; j < n; j++)
                    {
                        Assert.InRange(hits[j].Label, 0, data.Vectors.Length);
                        Assert.True(float.IsFinite(hits[j].Score));
                        Assert.True(j == 0 || hits[j - 1].Score >= hits[j].Score);
                        Assert.True(i % 3 != 1 || hits[j].Label % 2 == 1);
                    }

                    _ = index.Contains(i);
                    _ = index.Count;
                    Interlocked.Increment(ref searches);
                }
            }
            catch (Exception ex)
            {
                errors.Enqueue(ex);
            }
        }, TaskCreationOptions.LongRunning)).ToArray();

        await Task.WhenAll([writer, .. readers]);
        output.WriteLine($"{written} vectors written, {searches} searches");
        Assert.Empty(errors);
        Assert.True(searches > 0 && written > 500);
    }

    [Fact]
    public async Task ParallelBuildWhileSearching()
    {
        var data = new IndexTestData(IndexTestData.DefaultSeed(8), 8_000, 50, 24);
        using var index = new HnswIndex(data.Dimension, VectorMetric.L2, new HnswSettings(12, 100), initialCapacity: 100, data.Seed);
        index.Add(100_000, data.Queries[0]);
        var sw = Stopwatch.StartNew();
        var build = Task.Run(() => index.AddParallel(Enumerable.Range(0, 8_000).Select(i => (long)i).ToArray(), data.RowMajor(), 2));
        var hits = new VectorHit[5];
        while (!build.IsCompleted)
        {
            foreach (var q in data.Queries)
            {
                Assert.InRange(index.Search(q, 5, 20, hits), 1, 5);
            }
        }

        await build;
        output.WriteLine($"parallel build of 8000 in {sw.Elapsed.TotalSeconds:F1}s");
        Assert.Equal(8_001, index.Count);
        Assert.True(data.Recall(index, VectorMetric.L2, 5, 64) >= 0.9);
    }

    private sealed class OddFilter : ILabelFilter
    {
        public bool Allows(long label) => label % 2 == 1;
    }
}
