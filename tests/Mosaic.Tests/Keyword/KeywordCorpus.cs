using Mosaic.Core.Search;
using Mosaic.Index;
using Mosaic.Index.Keyword;

namespace Mosaic.Tests.Keyword;

/// <summary>A seeded Zipf-like corpus, plus the brute-force BM25 scorer the index must agree with.</summary>
internal sealed class KeywordCorpus
{
    private readonly Random _random;
    private readonly string[] _vocabulary;
    private readonly double[] _cumulative;

    public KeywordCorpus(int seed, int vocabulary = 3000)
    {
        Seed = seed;
        _random = new Random(seed);
        _vocabulary = Enumerable.Range(0, vocabulary).Select(i => $"w{i}").ToArray();
        _cumulative = new double[vocabulary];
        double sum = 0;
        for (int i = 0; i < vocabulary; i++)
        {
            sum += 1.0 / (i + 1);
            _cumulative[i] = sum;
        }

        for (int i = 0; i < vocabulary; i++)
        {
            _cumulative[i] /= sum;
        }
    }

    public int Seed { get; }

    /// <summary>Current text of each label: what the index should hold.</summary>
    public Dictionary<long, string> Docs { get; } = [];

    public string Word()
    {
        int i = Array.BinarySearch(_cumulative, _random.NextDouble());
        return _vocabulary[Math.Min(i >= 0 ? i : ~i, _vocabulary.Length - 1)];
    }

    /// <summary>Mostly short documents, some long, as real text has.</summary>
    public string Text()
    {
        int length = _random.Next(10) == 0 ? _random.Next(200, 800) : _random.Next(1, 60);
        return string.Join(' ', Enumerable.Range(0, length).Select(_ => Word()));
    }

    public string Query() => string.Join(' ', Enumerable.Range(0, _random.Next(1, 5)).Select(_ => Word()));

    public int Next(int max) => _random.Next(max);

    public void Put(KeywordIndex index, long label, string text)
    {
        index.Add(label, text);
        Docs[label] = text;
    }

    public void Delete(KeywordIndex index, long label)
    {
        index.Remove(label);
        Docs.Remove(label);
    }

    /// <summary>Scores every document from its text with the formula written out here, best first, ties by label.</summary>
    public static List<VectorHit> BruteForce(IReadOnlyDictionary<long, string> docs, string queryText, int k, Func<long, bool>? allow = null, KeywordStats? stats = null)
    {
        var query = KeywordQuery.Parse(queryText);
        var analyzed = docs.Select(d => (d.Key, Terms: Analyzed(d.Value))).Where(d => d.Terms.Count > 0).ToDictionary(d => d.Key, d => d.Terms);
        long n = stats?.DocCount ?? analyzed.Count;
        long total = stats?.TotalLength ?? analyzed.Sum(d => (long)d.Value.Count);
        float average = n == 0 ? 1f : (float)((double)total / n);
        var weights = new float[query.Terms.Count];
        for (int j = 0; j < weights.Length; j++)
        {
            string term = query.Terms[j];
            long df = stats?.DocFrequencies[term] ?? analyzed.Count(d => d.Value.Contains(term));
            weights[j] = query.Counts[j] * (float)Math.Log(1 + ((n - df + 0.5D) / (df + 0.5D)));
        }

        var hits = new List<VectorHit>();
        foreach (var (label, terms) in analyzed)
        {
            if (allow is not null && !allow(label))
            {
                continue;
            }

            float norm = 1.2f * (0.25f + (0.75f * Bm25.LengthTable[Bm25.EncodeLength(terms.Count)] / average));
            double sum = 0;
            bool matched = false;
            for (int j = 0; j < weights.Length; j++)
            {
                int tf = terms.Count(t => t == query.Terms[j]);
                if (tf > 0)
                {
                    matched = true;
                    sum += weights[j] * (tf / (tf + norm));
                }
            }

            if (matched)
            {
                hits.Add(new VectorHit(label, (float)sum));
            }
        }

        return hits.OrderByDescending(h => h.Score).ThenBy(h => h.Label).Take(k).ToList();
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, List<string>> AnalysisCache = new(StringComparer.Ordinal);

    private static List<string> Analyzed(string text) => AnalysisCache.GetOrAdd(text, KeywordAnalyzer.Analyze);

    public static List<VectorHit> Search(KeywordIndex index, string query, int k, ILabelFilter? filter = null, KeywordStats? stats = null)
    {
        var hits = new VectorHit[k];
        int found = index.Search(KeywordQuery.Parse(query), stats, k, hits, filter);
        return hits.Take(found).ToList();
    }
}
