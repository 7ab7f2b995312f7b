using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary>
/// Keyword search through the API is Lucene's BM25 over collection-wide statistics: it equals a brute-force scorer
/// written here (after updates and deletes too), ranks the same on 1 shard and on 8, filters exactly, analyzes
/// diacritics, CJK and digits, and survives kill -9 through its snapshot plus repair from the shard file.
/// </summary>
public sealed class KeywordBm25Tests(ServerFixture fixture, ITestOutputHelper output) : IClassFixture<ServerFixture>
{
    private readonly MosaicHttp _http = fixture.Http;

    [Fact]
    public async Task Bm25_matches_a_brute_force_scorer_after_updates_and_deletes()
    {
        var corpus = new Corpus(seed: 801);
        output.WriteLine($"seed {corpus.Seed}");
        string c = await NewCollectionAsync("bm25-exact", shards: 4);
        for (int i = 0; i < 300; i++)
        {
            corpus.Docs[$"d{i:D3}"] = corpus.Text();
        }

        string token = await LoadAsync(c, corpus.Docs.Select(d => Line(Doc(d.Value, [1, 0], id: d.Key))));
        await AssertMatchesBruteForceAsync(c, corpus, token, queries: 25);

        var changes = new List<string>();
        for (int i = 0; i < 60; i++)
        {
            string id = $"d{corpus.Next(300):D3}";
            if (corpus.Next(3) == 0)
            {
                corpus.Docs.Remove(id);
                changes.Add(DeleteLine(id));
            }
            else
            {
                corpus.Docs[id] = corpus.Text();
                changes.Add(Line(Doc(corpus.Docs[id], [1, 0], id: id)));
            }
        }

        token = await LoadAsync(c, changes);
        await AssertMatchesBruteForceAsync(c, corpus, token, queries: 25);
    }

    [Fact]
    public async Task Rankings_on_one_shard_equal_those_on_eight()
    {
        var corpus = new Corpus(seed: 802);
        for (int i = 0; i < 250; i++)
        {
            corpus.Docs[$"r{i:D3}"] = corpus.Text();
        }

        // Identical documents score identically: the cut at top_k must break those ties the same way everywhere.
        for (int i = 0; i < 12; i++)
        {
            corpus.Docs[$"twin{i:D2}"] = "w3 w7 twin words";
        }

        var lines = corpus.Docs.Select(d => Line(Doc(d.Value, [1, 0], id: d.Key))).ToList();
        string one = await NewCollectionAsync("bm25-one", shards: 1);
        string eight = await NewCollectionAsync("bm25-eight", shards: 8);
        string tokenOne = await LoadAsync(one, lines);
        string tokenEight = await LoadAsync(eight, lines);
        foreach (string query in Enumerable.Range(0, 30).Select(_ => corpus.Query()).Append("twin").Append("w3 twin"))
        {
            var a = await KeywordAsync(one, query, 10, tokenOne);
            var b = await KeywordAsync(eight, query, 10, tokenEight);
            Assert.Equal(MosaicHttp.HitIds(a), MosaicHttp.HitIds(b));
            Assert.Equal(MosaicHttp.HitScores(a), MosaicHttp.HitScores(b));
        }
    }

    [Fact]
    public async Task Filtered_keyword_search_returns_the_exact_allowed_top_k()
    {
        var corpus = new Corpus(seed: 803);
        var category = new Dictionary<string, string>();
        var lines = new List<string>();
        for (int i = 0; i < 300; i++)
        {
            string id = $"f{i:D3}";
            corpus.Docs[id] = corpus.Text();
            // "rare" allows few rows (the shard probes each one), "common" most (the shard walks postings and filters).
            category[id] = i % 37 == 0 ? "rare" : i % 3 == 0 ? "other" : "common";
            lines.Add(Line(Doc(corpus.Docs[id], [1, 0], new JsonObject { ["category"] = category[id] }, id)));
        }

        string c = await NewCollectionAsync("bm25-filter", shards: 3);
        string token = await LoadAsync(c, lines);
        foreach (string value in new[] { "rare", "common" })
        {
            for (int q = 0; q < 12; q++)
            {
                string query = corpus.Query();
                var answer = await _http.SearchAsync(c, new JsonObject
                {
                    ["mode"] = "keyword",
                    ["query"] = query,
                    ["top_k"] = 10,
                    ["filter"] = Clause("category", ("eq", value)),
                    ["consistency"] = new JsonObject { ["after"] = token },
                });
                // Statistics stay those of the whole collection: a filter selects documents, it does not re-weigh terms.
                AssertRanking(BruteForce.TopK(corpus.Docs, query, 11, id => category[id] == value), answer, $"{query} | category = {value}");
            }
        }
    }

    [Theory]
    [InlineData("creme brulee", "dessert")]
    [InlineData("CRÈME", "dessert")]
    [InlineData("Brûlée", "dessert")]
    [InlineData("cafe", "cafe")]
    [InlineData("東京", "tokyo")]
    [InlineData("京", "tokyo")]
    [InlineData("3.14", "numbers")]
    [InlineData("1,000", "numbers")]
    [InlineData("2024", "numbers")]
    [InlineData("iphone 15", "fullwidth")]
    [InlineData("ＩＰＨＯＮＥ", "fullwidth")]
    [InlineData("financial", "ligature")]
    [InlineData("ﬁnancial", "ligature")]
    public async Task Analyzer_folds_diacritics_splits_cjk_and_keeps_numbers(string query, string expected)
    {
        string c = await AnalyzerCollectionAsync();
        var answer = await KeywordAsync(c, query, 10, null);
        Assert.Equal([expected], MosaicHttp.HitIds(answer));
    }

    [Fact]
    public async Task Empty_and_punctuation_only_queries_are_rejected_or_match_nothing()
    {
        string c = await AnalyzerCollectionAsync();
        (await _http.PostAsync($"collections/{c}/search", new JsonObject { ["mode"] = "keyword", ["query"] = "   " })).AssertError(HttpStatusCode.BadRequest);
        Assert.Empty(MosaicHttp.HitIds(await KeywordAsync(c, "?! -- ...", 10, null)));
        Assert.Empty(MosaicHttp.HitIds(await KeywordAsync(c, "nothingmatchesthis", 10, null)));
    }

    [Fact]
    public async Task Keyword_index_survives_kill9_through_snapshot_plus_repair()
    {
        using var dir = new TempDirectory();
        string data = dir.Combine("data");
        var corpus = new Corpus(seed: 804);
        string c = Names.Unique("bm25-restart");
        string[] args = ["--Mosaic:Worker:SnapshotAfterChanges=100"];
        await using (var first = await MosaicProcess.StartServeAsync(data, dir.Combine("first.log"), null, args))
        {
            using var http = new MosaicHttp(first.BaseUrl);
            await http.CreateCollectionAsync(c, new JsonObject { ["dimension"] = 2, ["metric"] = "cosine", ["shards"] = 2 });
            for (int i = 0; i < 240; i++)
            {
                corpus.Docs[$"k{i:D3}"] = corpus.Text();
            }

            var (_, token) = await http.BulkOkAsync(c, corpus.Docs.Select(d => Line(Doc(d.Value, [1, 0], id: d.Key))));
            // Wait until a snapshot exists, then change rows after it, so that the next open must repair them.
            await Wait.WaitUntilAsync(() => Directory.EnumerateFiles(data, "*.kw", SearchOption.AllDirectories).Any(), TimeSpan.FromSeconds(60), "a keyword snapshot");
            var changes = new List<string> { DeleteLine("k000"), DeleteLine("k001") };
            corpus.Docs.Remove("k000");
            corpus.Docs.Remove("k001");
            for (int i = 2; i < 12; i++)
            {
                corpus.Docs[$"k{i:D3}"] = corpus.Text();
                changes.Add(Line(Doc(corpus.Docs[$"k{i:D3}"], [1, 0], id: $"k{i:D3}")));
            }

            (_, token) = await http.BulkOkAsync(c, changes);
            await KeywordOnAsync(http, c, "w1", token);
            first.Kill();
        }

        await using var second = await MosaicProcess.StartServeAsync(data, dir.Combine("second.log"), null, args);
        using var again = new MosaicHttp(second.BaseUrl);
        for (int q = 0; q < 15; q++)
        {
            string query = corpus.Query();
            AssertRanking(BruteForce.TopK(corpus.Docs, query, 11), await KeywordOnAsync(again, c, query, null), query);
        }

        Assert.Contains("keyword snapshot loaded", second.LogText(), StringComparison.Ordinal);
    }

    private async Task<string> AnalyzerCollectionAsync()
    {
        string c = await NewCollectionAsync("bm25-analyzer", shards: 2);
        await LoadAsync(c,
        [
            Line(Doc("Crème Brûlée is a dessert", [1, 0], id: "dessert")),
            Line(Doc("A naïve café on the corner", [1, 0], id: "cafe")),
            Line(Doc("東京タワーの観光", [1, 0], id: "tokyo")),
            Line(Doc("pi is 3.14, we sold 1,000 apples in 2024", [1, 0], id: "numbers")),
            // Full-width Latin and digits (as Japanese text writes them) and a PDF's ligature fold as NFKC does.
            Line(Doc("新型ｉＰｈｏｎｅ　１５の発売", [1, 0], id: "fullwidth")),
            Line(Doc("the ﬁnancial report", [1, 0], id: "ligature")),
        ]);
        return c;
    }

    private async Task<string> NewCollectionAsync(string prefix, int shards)
    {
        string name = Names.Unique(prefix);
        await _http.CreateCollectionAsync(name, new JsonObject
        {
            ["dimension"] = 2,
            ["metric"] = "cosine",
            ["shards"] = shards,
            ["fields"] = new JsonObject { ["category"] = "keyword" },
        });
        return name;
    }

    private async Task<string> LoadAsync(string collection, IEnumerable<string> lines) => (await _http.BulkOkAsync(collection, lines)).Token;

    private Task<JsonObject> KeywordAsync(string collection, string query, int k, string? token) => KeywordOnAsync(_http, collection, query, token, k);

    private static Task<JsonObject> KeywordOnAsync(MosaicHttp http, string collection, string query, string? token, int k = 10)
    {
        var body = new JsonObject { ["mode"] = "keyword", ["query"] = query, ["top_k"] = k };
        if (token is not null)
        {
            body["consistency"] = new JsonObject { ["after"] = token };
        }

        return http.SearchAsync(collection, body);
    }

    private async Task AssertMatchesBruteForceAsync(string collection, Corpus corpus, string token, int queries)
    {
        for (int q = 0; q < queries; q++)
        {
            string query = corpus.Query();
            AssertRanking(BruteForce.TopK(corpus.Docs, query, 11), await KeywordAsync(collection, query, 10, token), query);
        }
    }

    /// <summary>
    /// Same scores (float precision) in the same order, top 10 of <paramref name="expected"/> (which holds one more, to
    /// see ties at the cut); where two expected scores are within float noise, either order is right.
    /// </summary>
    private static void AssertRanking(IReadOnlyList<(string Id, double Score)> expected, JsonObject answer, string query)
    {
        var ids = MosaicHttp.HitIds(answer);
        var scores = MosaicHttp.HitScores(answer);
        int count = Math.Min(10, expected.Count);
        Assert.True(count == ids.Count, $"'{query}': expected {count} hits, got {ids.Count}");
        for (int i = 0; i < count; i++)
        {
            Assert.True(Math.Abs(expected[i].Score - scores[i]) <= 1e-5 * Math.Max(1, expected[i].Score), $"'{query}' rank {i}: expected {expected[i]}, got ({ids[i]}, {scores[i]})");
            bool nearTie = (i > 0 && Math.Abs(expected[i - 1].Score - expected[i].Score) < 1e-5)
                || (i + 1 < expected.Count && Math.Abs(expected[i + 1].Score - expected[i].Score) < 1e-5);
            if (!nearTie)
            {
                Assert.True(expected[i].Id == ids[i], $"'{query}' rank {i}: expected {expected[i].Id}, got {ids[i]}");
            }
        }
    }

    /// <summary>Documents of words from a Zipf-like vocabulary, plain lower-case ASCII so that analysis is splitting on spaces.</summary>
    private sealed class Corpus(int seed)
    {
        private readonly Random _random = new(seed);

        public int Seed => seed;

        public Dictionary<string, string> Docs { get; } = new(StringComparer.Ordinal);

        public int Next(int max) => _random.Next(max);

        public string Word() => $"w{(int)Math.Floor(Math.Pow(400, _random.NextDouble())) - 1}";

        public string Text() => string.Join(' ', Enumerable.Range(0, _random.Next(10) == 0 ? _random.Next(80, 300) : _random.Next(1, 40)).Select(_ => Word()));

        public string Query() => string.Join(' ', Enumerable.Range(0, _random.Next(1, 4)).Select(_ => Word()));
    }

    /// <summary>Lucene's BM25 written out: k1 = 1.2, b = 0.75, idf = ln(1 + (N − df + 0.5) / (df + 0.5)), lengths in Lucene's one-byte norm.</summary>
    private static class BruteForce
    {
        public static List<(string Id, double Score)> TopK(IReadOnlyDictionary<string, string> docs, string query, int k, Func<string, bool>? allow = null)
        {
            var terms = docs.ToDictionary(d => d.Key, d => d.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
            double n = terms.Count;
            double average = terms.Sum(t => (double)t.Value.Length) / n;
            var queryTerms = query.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var idf = queryTerms.Distinct().ToDictionary(t => t, t =>
            {
                double df = terms.Count(d => d.Value.Contains(t));
                return Math.Log(1 + ((n - df + 0.5) / (df + 0.5)));
            });
            var hits = new List<(string Id, double Score)>();
            foreach (var (id, words) in terms)
            {
                if (allow is not null && !allow(id))
                {
                    continue;
                }

                double norm = 1.2 * (0.25 + (0.75 * DecodedLength(words.Length) / average));
                double score = 0;
                foreach (string term in queryTerms)
                {
                    int tf = words.Count(w => w == term);
                    score += tf == 0 ? 0 : idf[term] * tf / (tf + norm);
                }

                if (score > 0)
                {
                    hits.Add((id, score));
                }
            }

            return [.. hits.OrderByDescending(h => h.Score).ThenBy(h => h.Id, StringComparer.Ordinal).Take(k)];
        }

        /// <summary>Lucene's SmallFloat.intToByte4 then byte4ToInt: exact below 24, then 4 significant bits.</summary>
        private static int DecodedLength(int length)
        {
            if (length < 24)
            {
                return length;
            }

            long rest = length - 24;
            int bits = 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)rest);
            int shift = Math.Max(0, bits - 4);
            return 24 + (int)((rest >> shift) << shift);
        }
    }
}
