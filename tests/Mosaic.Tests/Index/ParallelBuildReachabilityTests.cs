using Mosaic.Core.Collections;
using Mosaic.Index;
using Xunit;

namespace Mosaic.Tests.Index;

/// <summary>
/// Every vector added by a parallel build must be reachable: searching for its own vector finds it.
/// Found by the server's kill -9 durability test (a restart rebuilds graphs with AddParallel while other shards do the
/// same): under contention a few nodes ended up with no inbound links.
/// </summary>
public sealed class ParallelBuildReachabilityTests
{
    [Fact]
    public void Parallel_builds_under_contention_leave_no_node_unreachable()
    {
        int misses = 0, trials = 0;
        for (int seed = 0; seed < 40; seed++)
        {
            var rng = new Random(seed);
            const int n = 250, d = 8;
            var centers = Enumerable.Range(0, 10).Select(_ => Enumerable.Range(0, d).Select(_ => (float)rng.NextDouble() * 2 - 1).ToArray()).ToArray();
            var data = new float[n * d];
            for (int i = 0; i < n; i++)
            {
                var c = centers[rng.Next(10)];
                for (int j = 0; j < d; j++)
                {
                    data[i * d + j] = c[j] + (float)(rng.NextDouble() - 0.5) * 0.25f;
                }
            }

            var labels = Enumerable.Range(1, n).Select(i => (long)i).ToArray();
            var indexes = Enumerable.Range(0, 4).Select(_ => new HnswIndex(d, VectorMetric.Cosine, HnswSettings.Default)).ToArray();
            Parallel.For(0, indexes.Length, k => indexes[k].AddParallel(labels, data, 2));
            foreach (var index in indexes)
            {
                var hits = new VectorHit[5];
                for (int i = 0; i < n; i++)
                {
                    int found = index.Search(data.AsSpan(i * d, d), 5, 64, hits);
                    if (!hits.AsSpan(0, found).ToArray().Any(h => h.Label == labels[i]))
                    {
                        misses++;
                    }
                }

                trials += n;
                index.Dispose();
            }
        }

        Assert.True(misses == 0, $"{misses} of {trials} vectors were not found by their own vector after a parallel build");
    }
}
