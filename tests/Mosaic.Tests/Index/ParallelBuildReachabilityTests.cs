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
        for (int seed = 0; seed < 80; seed++)
        {
            var rng = new Random(seed);
            const int n = 250, d = 8;
            // Unit-length centres plus Gaussian noise of 0.35/sqrt(d): the shape of the server's durability test data.
            var centers = Enumerable.Range(0, 10).Select(_ => Normalize(Gaussian(rng, d, 1))).ToArray();
            var data = new float[n * d];
            for (int i = 0; i < n; i++)
            {
                var c = centers[rng.Next(10)];
                var noise = Gaussian(rng, d, 0.35 / Math.Sqrt(d));
                for (int j = 0; j < d; j++)
                {
                    data[i * d + j] = c[j] + noise[j];
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

    private static float[] Gaussian(Random rng, int d, double sigma) => Enumerable.Range(0, d)
        .Select(_ => (float)(sigma * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble())))
        .ToArray();

    private static float[] Normalize(float[] v)
    {
        float norm = MathF.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / norm).ToArray();
    }
}
