namespace Mosaic.LoadGen.Data;

/// <summary>Pronounceable made-up words ("bako", "ridu", ...) ranked by a Zipf distribution, so BM25 sees common and rare terms.</summary>
internal sealed class Vocabulary
{
    private const string Consonants = "bcdfghjklmnprstvwz";
    private const string Vowels = "aeiou";
    private readonly string[] _words;
    private readonly double[] _cdf;

    public Vocabulary(int size, double exponent = 1.0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 200);
        _words = new string[size];
        _cdf = new double[size];
        int syllables = Consonants.Length * Vowels.Length;
        double sum = 0;
        for (int rank = 0; rank < size; rank++)
        {
            // Two syllables cover 8100 words; larger vocabularies get a third.
            string word = Syllable(rank % syllables) + Syllable(rank / syllables % syllables);
            _words[rank] = rank < syllables * syllables ? word : word + Syllable(rank / (syllables * syllables) % syllables);
            sum += 1.0 / Math.Pow(rank + 1, exponent);
            _cdf[rank] = sum;
        }

        for (int rank = 0; rank < size; rank++)
        {
            _cdf[rank] /= sum;
        }
    }

    public int Size => _words.Length;

    public string Word(int rank) => _words[rank];

    /// <summary>A word drawn by its Zipf weight.</summary>
    public string Sample(Random random)
    {
        int index = Array.BinarySearch(_cdf, random.NextDouble());
        return _words[Math.Min(index < 0 ? ~index : index, _words.Length - 1)];
    }

    /// <summary>The i-th of a cluster's topic words: mid-frequency ranks (after the 100 most common), distinct per cluster while they last.</summary>
    public string Topic(int cluster, int i, int perCluster) => _words[100 + (((cluster * perCluster) + i) % (_words.Length - 100))];

    private static string Syllable(int k) => $"{Consonants[k / Vowels.Length]}{Vowels[k % Vowels.Length]}";
}
