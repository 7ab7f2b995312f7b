using Mosaic.Core.Search;
using Mosaic.Index;
using Mosaic.Index.Keyword;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.Tests.Keyword;

/// <summary>The pruned top-k equals brute-force BM25 through adds, updates, deletes, compaction, filters and split shards.</summary>
public sealed class KeywordIndexTests(ITestOutputHelper output)
{
    [Fact]
    public void Top_k_equals_brute_force_on_a_zipf_corpus()
    {
        var corpus = new KeywordCorpus(11);
        output.WriteLine($"seed {corpus.Seed}");
        using var index = new KeywordIndex();
        for (long label = 0; label < 3000; label++)
        {
            corpus.Put(index, label * 3, corpus.Text());
        }

        AssertMatchesBruteForce(index, corpus, queries: 150, k: 10);
        AssertMatchesBruteForce(index, corpus, queries: 20, k: 100);
    }

    [Fact]
    public void Updates_and_deletes_keep_statistics_and_answers_exact_through_compaction()
    {
        var corpus = new KeywordCorpus(12);
        output.WriteLine($"seed {corpus.Seed}");
        using var index = new KeywordIndex();
        for (long label = 0; label < 2500; label++)
        {
            corpus.Put(index, label, corpus.Text());
        }

        // Enough churn to cross the compaction threshold (over 1,000 dead ordinals and a quarter of all).
        for (int i = 0; i < 1600; i++)
        {
            long label = corpus.Next(2500);
            if (corpus.Next(3) == 0)
            {
                corpus.Delete(index, label);
            }
            else
            {
                corpus.Put(index, label, corpus.Text());
            }
        }

        Assert.Equal(corpus.Docs.Count(d => KeywordAnalyzer.Analyze(d.Value).Count > 0), index.Count);
        Assert.Equal(corpus.Docs.Sum(d => (long)KeywordAnalyzer.Analyze(d.Value).Count), index.TotalLength);
        var stats = index.Statistics(KeywordQuery.Parse("w0 w5 w77 nosuchword"));
        Assert.Equal(corpus.Docs.Count(d => KeywordAnalyzer.Analyze(d.Value).Contains("w5")), stats.DocFrequencies["w5"]);
        Assert.Equal(0, stats.DocFrequencies["nosuchword"]);
        AssertMatchesBruteForce(index, corpus, queries: 100, k: 10);
    }

    [Fact]
    public void Filtered_search_returns_the_exact_allowed_top_k()
    {
        var corpus = new KeywordCorpus(13);
        using var index = new KeywordIndex();
        for (long label = 0; label < 2000; label++)
        {
            corpus.Put(index, label, corpus.Text());
        }

        var filter = new ModuloFilter(7);
        var allowed = corpus.Docs.Keys.Where(filter.Allows).ToArray();
        for (int q = 0; q < 60; q++)
        {
            string query = corpus.Query();
            var expected = KeywordCorpus.BruteForce(corpus.Docs, query, 10, filter.Allows);
            Assert.Equal(expected, KeywordCorpus.Search(index, query, 10, filter));
            var among = new VectorHit[10];
            int found = index.SearchAmong(KeywordQuery.Parse(query), null, 10, allowed, among);
            Assert.Equal(expected, among.Take(found));
        }
    }

    [Fact]
    public void Split_indexes_with_summed_statistics_score_exactly_like_one_index()
    {
        var corpus = new KeywordCorpus(14);
        using var whole = new KeywordIndex();
        var parts = Enumerable.Range(0, 4).Select(_ => new KeywordIndex()).ToArray();
        for (long label = 0; label < 2000; label++)
        {
            string text = corpus.Text();
            corpus.Put(whole, label, text);
            parts[label % 4].Add(label, text);
        }

        for (int q = 0; q < 60; q++)
        {
            var query = KeywordQuery.Parse(corpus.Query());
            var stats = KeywordStats.Sum(parts.Select(p => p.Statistics(query)));
            Assert.Equal(whole.Statistics(query), stats, KeywordStatsComparer.Instance);
            var merged = parts.SelectMany(p => Top(p, query, stats)).OrderByDescending(h => h.Score).ThenBy(h => h.Label).Take(10);
            Assert.Equal(Top(whole, query, null), merged);
        }

        foreach (var part in parts)
        {
            part.Dispose();
        }
    }

    [Fact]
    public void Equal_scores_rank_by_the_tie_comparer()
    {
        using var index = new KeywordIndex();
        for (long label = 0; label < 50; label++)
        {
            index.Add(label, "same words here");
        }

        var hits = new VectorHit[5];
        Assert.Equal(5, index.Search(KeywordQuery.Parse("words"), null, 5, hits));
        Assert.Equal([0L, 1, 2, 3, 4], hits.Select(h => h.Label));
        Assert.Equal(5, index.Search(KeywordQuery.Parse("words"), null, 5, hits, ties: Comparer<long>.Create((a, b) => b.CompareTo(a))));
        Assert.Equal([49L, 48, 47, 46, 45], hits.Select(h => h.Label));
    }

    [Fact]
    public void Empty_text_is_not_held_and_empty_queries_match_nothing()
    {
        using var index = new KeywordIndex();
        index.Add(1, "hello world");
        index.Add(2, "  ... ");
        Assert.Equal(1, index.Count);
        Assert.False(index.Contains(2));
        index.Add(1, "");
        Assert.False(index.Contains(1));
        Assert.Equal(0, index.Count);
        Assert.Equal(0, index.TotalLength);
        Assert.Empty(KeywordCorpus.Search(index, "hello", 10));
        index.Add(3, "hello again");
        Assert.Empty(KeywordCorpus.Search(index, "", 10));
        Assert.Empty(KeywordCorpus.Search(index, "?!", 10));
        Assert.Equal([3L], KeywordCorpus.Search(index, "HELLO", 10).Select(h => h.Label));
    }

    [Fact]
    public void Save_and_load_give_identical_answers_and_damage_is_rejected()
    {
        var corpus = new KeywordCorpus(15);
        using var index = new KeywordIndex();
        for (long label = 0; label < 1500; label++)
        {
            corpus.Put(index, label, corpus.Text());
        }

        for (long label = 0; label < 1500; label += 5)
        {
            corpus.Delete(index, label);
        }

        using var stream = new MemoryStream();
        index.Save(stream);
        byte[] bytes = stream.ToArray();
        using var loaded = KeywordIndex.Load(new MemoryStream(bytes));
        Assert.Equal(index.Count, loaded.Count);
        Assert.Equal(index.TotalLength, loaded.TotalLength);
        Assert.False(loaded.Contains(5));
        for (int q = 0; q < 40; q++)
        {
            string query = corpus.Query();
            Assert.Equal(KeywordCorpus.Search(index, query, 10), KeywordCorpus.Search(loaded, query, 10));
        }

        bytes[bytes.Length / 2] ^= 0x40;
        Assert.Throws<InvalidDataException>(() => KeywordIndex.Load(new MemoryStream(bytes)));
        Assert.Throws<InvalidDataException>(() => KeywordIndex.Load(new MemoryStream(bytes.AsSpan(0, bytes.Length / 3).ToArray())));
    }

    [Fact]
    public void A_file_of_the_analyzer_before_is_refused_so_the_shard_reindexes_its_texts()
    {
        using var index = new KeywordIndex();
        index.Add(1, "ｉＰｈｏｎｅ ﬁnancial");
        using var stream = new MemoryStream();
        index.Save(stream);
        byte[] bytes = stream.ToArray();
        Assert.Equal("MOSKWD02", System.Text.Encoding.ASCII.GetString(bytes, 0, 8));
        using (var current = KeywordIndex.Load(new MemoryStream(bytes)))
        {
            Assert.Equal(1, current.Count);
        }

        // Version 01 was written before full-width forms and ligatures folded: its terms ("ｉｐｈｏｎｅ") would never match.
        bytes[7] = (byte)'1';
        var refused = Assert.Throws<InvalidDataException>(() => KeywordIndex.Load(new MemoryStream(bytes)));
        Assert.Contains("keyword index", refused.Message);
    }

    private static VectorHit[] Top(KeywordIndex index, KeywordQuery query, KeywordStats? stats)
    {
        var hits = new VectorHit[10];
        int found = index.Search(query, stats, 10, hits);
        return hits[..found];
    }

    private void AssertMatchesBruteForce(KeywordIndex index, KeywordCorpus corpus, int queries, int k)
    {
        for (int q = 0; q < queries; q++)
        {
            string query = corpus.Query();
            var expected = KeywordCorpus.BruteForce(corpus.Docs, query, k);
            var actual = KeywordCorpus.Search(index, query, k);
            if (!expected.SequenceEqual(actual))
            {
                output.WriteLine($"query '{query}'");
            }

            Assert.Equal(expected, actual);
        }
    }

    private sealed class ModuloFilter(int modulo) : ILabelFilter
    {
        public bool Allows(long label) => label % modulo == 0;
    }

    private sealed class KeywordStatsComparer : IEqualityComparer<KeywordStats>
    {
        public static readonly KeywordStatsComparer Instance = new();

        public bool Equals(KeywordStats? x, KeywordStats? y) => x is not null && y is not null && x.DocCount == y.DocCount && x.TotalLength == y.TotalLength
            && x.DocFrequencies.Count == y.DocFrequencies.Count && x.DocFrequencies.All(p => y.DocFrequencies.TryGetValue(p.Key, out long v) && v == p.Value);

        public int GetHashCode(KeywordStats obj) => obj.DocCount.GetHashCode();
    }
}
