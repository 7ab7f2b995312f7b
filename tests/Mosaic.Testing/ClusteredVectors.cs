namespace Mosaic.Testing;

/// <summary>Seeded generator of clustered vectors: a few random centers on the unit sphere, points scattered around them.</summary>
/// <remarks>The same seed always gives the same data, so a failure reproduces from the seed printed with it.</remarks>
public sealed class ClusteredVectors
{
    private readonly Random _random;
    private readonly float[][] _centers;
    private readonly double _spread;

    public ClusteredVectors(int seed, int dimension, int clusters, double spread = 0.35)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(clusters, 1);
        Seed = seed;
        Dimension = dimension;
        _spread = spread;
        _random = new Random(seed);
        _centers = new float[clusters][];
        for (var c = 0; c < clusters; c++)
        {
            _centers[c] = Normalize(Gaussian(dimension, 1.0));
        }
    }

    public int Seed { get; }
    public int Dimension { get; }

    /// <summary>The next point: a random center plus Gaussian noise of the configured spread.</summary>
    public float[] Next()
    {
        var center = _centers[_random.Next(_centers.Length)];
        var noise = Gaussian(Dimension, _spread / Math.Sqrt(Dimension));
        var v = new float[Dimension];
        for (var i = 0; i < Dimension; i++)
        {
            v[i] = center[i] + noise[i];
        }

        return v;
    }

    public float[][] Take(int count)
    {
        var result = new float[count][];
        for (var i = 0; i < count; i++)
        {
            result[i] = Next();
        }

        return result;
    }

    /// <summary>A uniformly random unit-free vector with components in [-1, 1) from a seeded random.</summary>
    public static float[] Uniform(Random random, int dimension)
    {
        var v = new float[dimension];
        for (var i = 0; i < dimension; i++)
        {
            v[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return v;
    }

    private float[] Gaussian(int dimension, double sigma)
    {
        var v = new float[dimension];
        for (var i = 0; i < dimension; i++)
        {
            // Box-Muller.
            var u1 = 1.0 - _random.NextDouble();
            var u2 = _random.NextDouble();
            v[i] = (float)(sigma * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }

        return v;
    }

    private static float[] Normalize(float[] v)
    {
        double norm = 0;
        foreach (var x in v)
        {
            norm += x * (double)x;
        }

        norm = Math.Sqrt(norm);
        for (var i = 0; i < v.Length; i++)
        {
            v[i] = (float)(v[i] / norm);
        }

        return v;
    }
}
