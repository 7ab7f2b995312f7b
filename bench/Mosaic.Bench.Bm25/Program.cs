using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Mosaic.Index;
using Mosaic.Index.Keyword;

// Mosaic's side of the BM25 comparison; same arguments and JSON fields as ../shared/bench/LuceneBm25.java:
//   DOCS_JSONL QUERIES_JSON K RUNS OUT_JSON
// Timed like Lucene's: reading and parsing the JSON lines is inside index_s; queries are analysed before timing
// (Lucene builds its Query objects first); one thread; best of RUNS passes after a warm-up pass that records the tops.
if (args.Length < 5)
{
    Console.Error.WriteLine("usage: bench/bm25 DOCS_JSONL QUERIES_JSON K RUNS OUT_JSON");
    return 2;
}

int k = int.Parse(args[2]);
int runs = int.Parse(args[3]);
var ids = new List<string>();
var started = Stopwatch.GetTimestamp();
using var index = new KeywordIndex();
foreach (string line in File.ReadLines(args[0]))
{
    var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(line));
    string? id = null, text = null;
    while (reader.Read())
    {
        if (reader.TokenType == JsonTokenType.PropertyName)
        {
            bool isId = reader.ValueTextEquals("id"u8);
            bool isText = reader.ValueTextEquals("text"u8);
            reader.Read();
            if (isId)
            {
                id = reader.TokenType == JsonTokenType.String ? reader.GetString() : Encoding.UTF8.GetString(reader.ValueSpan);
            }
            else if (isText)
            {
                text = reader.GetString();
            }
        }
    }

    index.Add(ids.Count, text ?? "");
    ids.Add(id ?? ids.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
}

double indexSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
var queries = JsonSerializer.Deserialize<string[]>(File.ReadAllText(args[1]))!.Select(KeywordQuery.Parse).ToArray();
var hits = new VectorHit[k];
var tops = new List<string[]>();
double best = 0;
for (int run = 0; run <= runs; run++)
{
    long s0 = Stopwatch.GetTimestamp();
    foreach (var query in queries)
    {
        int found = index.Search(query, null, k, hits);
        if (run == 0)
        {
            tops.Add(hits.Take(found).Select(h => ids[(int)h.Label]).ToArray());
        }
    }

    double qps = queries.Length / Stopwatch.GetElapsedTime(s0).TotalSeconds;
    if (run > 0)
    {
        best = Math.Max(best, qps);
    }
}

var result = new Dictionary<string, object>
{
    ["engine"] = "mosaic KeywordIndex BM25 OR top-k",
    ["docs"] = ids.Count,
    ["terms"] = index.TermCount,
    ["index_s"] = indexSeconds,
    ["qps"] = best,
    ["tops"] = tops,
};
File.WriteAllText(args[4], JsonSerializer.Serialize(result));
Console.WriteLine($"mosaic: {ids.Count} docs indexed in {indexSeconds:F1} s, {best:F0} QPS top-{k} (1 thread)");
return 0;
