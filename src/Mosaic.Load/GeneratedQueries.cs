namespace Mosaic.Load;

/// <summary>Queries made up for a collection when no query file is given: seeded random unit vectors of its dimension, and
/// one or two words drawn from the words given (for keyword and hybrid searches).</summary>
public static class GeneratedQueries
{
    /// <param name="dimension">0 for no vectors (keyword only).</param>
    /// <param name="words">Words to draw query text from; empty for no text.</param>
    public static List<QueryLine> Make(int count, int dimension, IReadOnlyList<string> words, int seed)
    {
        var random = new Random(seed);
        var lines = new List<QueryLine>(count);
        for (int i = 0; i < count; i++)
        {
            float[]? vector = dimension > 0 ? UnitVector(random, dimension) : null;
            string? text = words.Count == 0 ? null
                : random.Next(2) == 0 ? words[random.Next(words.Count)]
                : words[random.Next(words.Count)] + " " + words[random.Next(words.Count)];
            lines.Add(new QueryLine(vector, text, null));
        }

        return lines;
    }

    private static float[] UnitVector(Random random, int dimension)
    {
        var v = new float[dimension];
        double norm = 0;
        for (int d = 0; d < dimension; d++)
        {
            // Gaussian components (Box-Muller) give directions uniform on the sphere.
            double g = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            v[d] = (float)g;
            norm += g * g;
        }

        float scale = norm > 0 ? (float)(1 / Math.Sqrt(norm)) : 1;
        for (int d = 0; d < dimension; d++)
        {
            v[d] = norm > 0 ? v[d] * scale : 1 / MathF.Sqrt(dimension);
        }

        return v;
    }
}
