using Mosaic.Core.Collections;
using Mosaic.Index;

namespace Mosaic.Tests.Index;

/// <summary>Seeded clustered vectors and exact (double precision) neighbours for the index tests.</summary>
/// <remarks>
/// The default seed is fixed so the suite is reproducible; MOSAIC_TEST_SEED overrides it to explore other data
/// (every test prints the seed it used). Points are a Gaussian mixture: unequal cluster sizes and a within-cluster
/// spread comparable to the distance between centres, so neighbourhoods overlap like real embeddings do.
/// </remarks>
internal sealed class IndexTestData : IVectorSource
{
    public IndexTestData(int seed, int count, int queries, int dimension, int clusters = 100, double spread = 1.0, double decay = 0.5)
    {
        Seed = seed;
        Dimension = dimension;
        var random = new Random(seed);

        // Per-axis std ~ (i+1)^-decay (mean variance 1): a decaying spectrum like real embeddings (and
        // ../shared/bench/ann_peers.py), which keeps the intrinsic dimension well below the nominal one.
        var scale = new double[dimension];
        for (int i = 0; i < dimension; i++)
        {
            scale[i] = Math.Pow(i + 1, -decay);
        }

        double rms = Math.Sqrt(scale.Sum(x => x * x) / dimension);
        for (int i = 0; i < dimension; i++)
        {
            scale[i] /= rms;
        }

        var centres = new float[clusters][];
        var weights = new double[clusters];
        for (int c = 0; c < clusters; c++)
        {
            centres[c] = Gaussian(random, scale, 1.0);
            weights[c] = Math.Exp(Gaussian(random));
        }

        double total = weights.Sum();
        Vectors = new float[count][];
        Queries = new float[queries][];
        for (int i = 0; i < count + queries; i++)
        {
            double pick = random.NextDouble() * total;
            int c = 0;
            while (c < clusters - 1 && (pick -= weights[c]) > 0)
            {
                c++;
            }

            var noise = Gaussian(random, scale, spread);
            var v = new float[dimension];
            for (int j = 0; j < dimension; j++)
            {
                v[j] = centres[c][j] + noise[j];
            }

            if (i < count)
            {
                Vectors[i] = v;
            }
            else
            {
                Queries[i - count] = v;
            }
        }
    }

    public int Seed { get; }

    public int Dimension { get; }

    public float[][] Vectors { get; }

    public float[][] Queries { get; }

    public static int DefaultSeed(int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable("MOSAIC_TEST_SEED"), out int seed) ? seed : fallback;

    public float[] RowMajor()
    {
        var all = new float[Vectors.Length * Dimension];
        for (int i = 0; i < Vectors.Length; i++)
        {
            Vectors[i].CopyTo(all, i * Dimension);
        }

        return all;
    }

    public HnswIndex Build(VectorMetric metric, bool parallel, HnswSettings? settings = null)
    {
        var index = new HnswIndex(Dimension, metric, settings ?? HnswSettings.Default, Vectors.Length, Seed);
        if (parallel)
        {
            index.AddParallel(Enumerable.Range(0, Vectors.Length).Select(i => (long)i).ToArray(), RowMajor(), Math.Max(2, Environment.ProcessorCount));
        }
        else
        {
            for (int i = 0; i < Vectors.Length; i++)
            {
                index.Add(i, Vectors[i]);
            }
        }

        return index;
    }

    /// <summary>Score with the API's convention (higher is better), in double precision.</summary>
    public static double Score(VectorMetric metric, float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0, l2 = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += a[i] * (double)b[i];
            na += a[i] * (double)a[i];
            nb += b[i] * (double)b[i];
            double d = a[i] - (double)b[i];
            l2 += d * d;
        }

        return metric switch
        {
            VectorMetric.Cosine => dot / Math.Sqrt(na * nb),
            VectorMetric.Dot => dot,
            _ => -Math.Sqrt(l2),
        };
    }

    /// <summary>The exact top-k labels among the allowed ones (all when <paramref name="allowed"/> is null).</summary>
    public long[] ExactTopK(VectorMetric metric, float[] query, int k, Func<long, bool>? allowed = null)
    {
        var scored = new List<(double Score, long Label)>(Vectors.Length);
        for (int i = 0; i < Vectors.Length; i++)
        {
            if (allowed is null || allowed(i))
            {
                scored.Add((Score(metric, query, Vectors[i]), i));
            }
        }

        return scored.OrderByDescending(s => s.Score).Take(k).Select(s => s.Label).ToArray();
    }

    /// <summary>Mean recall@k of the index against exact search over the queries.</summary>
    public double Recall(HnswIndex index, VectorMetric metric, int k, int ef, Func<long, bool>? allowed = null, ILabelFilter? filter = null, IVectorSource? source = null)
    {
        var hits = new VectorHit[k];
        long found = 0, expected = 0;
        foreach (var q in Queries)
        {
            var truth = ExactTopK(metric, q, k, allowed).ToHashSet();
            int n = index.Search(q, k, ef, hits, filter, source);
            for (int i = 0; i < n; i++)
            {
                if (truth.Contains(hits[i].Label))
                {
                    found++;
                }
            }

            expected += truth.Count;
        }

        return (double)found / expected;
    }

    /// <summary>The full-precision vectors a quantized index rescores on (label = index into <see cref="Vectors"/>).</summary>
    public bool TryRead(long label, Span<float> destination)
    {
        if ((ulong)label >= (ulong)Vectors.Length)
        {
            return false;
        }

        Vectors[label].CopyTo(destination);
        return true;
    }

    private static float[] Gaussian(Random random, double[] scale, double sigma)
    {
        var v = new float[scale.Length];
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = (float)(sigma * scale[i] * Gaussian(random));
        }

        return v;
    }

    private static double Gaussian(Random random)
    {
        double u1 = 1.0 - random.NextDouble();
        double u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
