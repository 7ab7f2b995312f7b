namespace Mosaic.Testing;

/// <summary>Brute-force nearest neighbours in double precision: the ground truth that API answers are compared with.</summary>
/// <remarks>Scores follow the API's "higher is better" convention: cosine similarity, dot product, negated Euclidean distance.</remarks>
public static class ExactSearch
{
    public static double Score(string metric, ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0, l2 = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * (double)b[i];
            na += a[i] * (double)a[i];
            nb += b[i] * (double)b[i];
            var d = a[i] - (double)b[i];
            l2 += d * d;
        }

        return metric switch
        {
            "cosine" => dot / (Math.Sqrt(na) * Math.Sqrt(nb)),
            "dot" => dot,
            "l2" => -Math.Sqrt(l2),
            _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, "cosine | dot | l2"),
        };
    }

    /// <summary>The <paramref name="k"/> best (id, score) pairs among <paramref name="candidates"/>, best first.</summary>
    public static List<(string Id, double Score)> TopK(string metric, float[] query, IEnumerable<(string Id, float[] Vector)> candidates, int k)
        => candidates
            .Select(c => (c.Id, Score: Score(metric, query, c.Vector)))
            .OrderByDescending(x => x.Score)
            .ThenBy(x => x.Id, StringComparer.Ordinal)
            .Take(k)
            .ToList();
}
