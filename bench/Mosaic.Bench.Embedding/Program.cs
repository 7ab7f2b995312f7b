// Embedding benchmarks (bench/README.md, "Embeddings").
//   model [--seconds 10]          the model in this process: batch 1 (one caller), 8 concurrent callers (dynamic batching), fixed batches
//   http --url URL [--docs 2000] [--queries 200]
//                                 a running Mosaic: text-only bulk ingest into an embed collection, then semantic queries cold and warm
//   texmex --corpus DOCS_JSONL --out DIR [--docs 64000] [--queries 1000] [--threads 2]
//                                 a real-text ANN set for bench/ann (bench/ann-real-text runs it; see TexmexSet)
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using HdrHistogram;
using Microsoft.Extensions.Logging.Abstractions;
using Mosaic.Embedding;
using Mosaic.Embedding.Local;
using Mosaic.Embedding.Onnx;

string verb = args.Length > 0 ? args[0] : "model";
string Arg(string name, string fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback;
int seconds = int.Parse(Arg("--seconds", "10"), CultureInfo.InvariantCulture);

if (verb == "model")
{
    using var model = MiniLmModel.Load();
    Measure("own session, batch 1", 1, () => { model.Embed([Sentences.Next()]); return 1; });
    foreach (int size in new[] { 8, 32 })
    {
        Measure($"own session, fixed batch {size}", 1, () => { model.Embed(Enumerable.Range(0, size).Select(_ => Sentences.Next()).ToList()); return size; });
    }

    var stats = new EmbeddingStats();
    using var local = new LocalEmbedder(new EmbeddingOptions(), stats, TimeProvider.System, NullLogger<LocalEmbedder>.Instance);
    local.Warm();
    foreach (int clients in new[] { 1, 8 })
    {
        long runs0 = stats.ModelRuns, texts0 = stats.ModelTexts;
        Measure($"LocalEmbedder, {clients} client(s), 1 text each call", clients, () => { local.EmbedAsync("minilm", [Sentences.Next()], default).GetAwaiter().GetResult(); return 1; });
        Console.WriteLine($"    mean batch reached: {(double)(stats.ModelTexts - texts0) / Math.Max(1, stats.ModelRuns - runs0):F1}");
    }
}
else if (verb == "texmex")
{
    TexmexSet.Run(Arg("--corpus", "docs.jsonl"), Arg("--out", "minilm"), int.Parse(Arg("--docs", "64000"), CultureInfo.InvariantCulture),
        int.Parse(Arg("--queries", "1000"), CultureInfo.InvariantCulture), int.Parse(Arg("--threads", "2"), CultureInfo.InvariantCulture));
}
else if (verb == "http")
{
    await HttpBench.RunAsync(Arg("--url", "http://127.0.0.1:7700"), int.Parse(Arg("--docs", "2000"), CultureInfo.InvariantCulture), int.Parse(Arg("--queries", "200"), CultureInfo.InvariantCulture));
}

void Measure(string name, int clients, Func<int> work)
{
    work();
    var process = Process.GetCurrentProcess();
    var cpu0 = process.TotalProcessorTime;
    var clock = Stopwatch.StartNew();
    long texts = 0;
    var threads = Enumerable.Range(0, clients).Select(_ => new Thread(() =>
    {
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            Interlocked.Add(ref texts, work());
        }
    })).ToList();
    threads.ForEach(t => t.Start());
    threads.ForEach(t => t.Join());
    process.Refresh();
    double cpuMs = (process.TotalProcessorTime - cpu0).TotalMilliseconds;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {texts / clock.Elapsed.TotalSeconds:F1} texts/s, {cpuMs / texts:F2} CPU-ms/text ({texts} texts in {clock.Elapsed.TotalSeconds:F1} s)"));
}

/// <summary>Short, varied English sentences (8-16 words) from a seeded generator.</summary>
internal static class Sentences
{
    private static readonly string[] Words = ("the a quick brown fox jumps over lazy dog search engine vector semantic shoes comfortable running red blue suede " +
        "leather harbour violinist neighbour library mountain guide bakery taxi driver orchestra lighthouse frozen lake market mill vineyard railway " +
        "bridge museum tide pools repainted visited described photographed cleaned celebrated mapped recorded quietly yesterday tomorrow because").Split(' ');

    private static readonly ThreadLocal<Random> Random = new(() => new Random(Environment.CurrentManagedThreadId));

    public static string Next(int? seed = null)
    {
        var random = seed is int s ? new Random(s) : Random.Value!;
        return string.Join(' ', Enumerable.Range(0, random.Next(8, 17)).Select(_ => Words[random.Next(Words.Length)]));
    }
}

/// <summary>End to end over HTTP: ingest text-only documents into an embed collection, then semantic queries cold and warm.</summary>
internal static class HttpBench
{
    public static async Task RunAsync(string url, int docs, int queries)
    {
        using var http = new HttpClient { BaseAddress = new Uri(url.TrimEnd('/') + "/"), Timeout = TimeSpan.FromMinutes(5) };
        string collection = "embed-bench-" + DateTime.UtcNow.ToString("HHmmss", CultureInfo.InvariantCulture);
        (await http.PutAsync($"collections/{collection}", Json(new { embed = new { model = "minilm" }, shards = 2 }))).EnsureSuccessStatusCode();

        var clock = Stopwatch.StartNew();
        const int bulk = 100;
        string token = "";
        for (int start = 0; start < docs; start += bulk)
        {
            var lines = new StringBuilder();
            for (int i = start; i < Math.Min(docs, start + bulk); i++)
            {
                lines.Append(JsonSerializer.Serialize(new { id = $"d{i}", text = Sentences.Next(i) })).Append('\n');
            }

            var r = await http.PostAsync($"collections/{collection}/docs:bulk", new StringContent(lines.ToString(), Encoding.UTF8, "application/x-ndjson"));
            r.EnsureSuccessStatusCode();
            token = (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
        }

        double ingest = clock.Elapsed.TotalSeconds;
        (await http.PostAsync($"collections/{collection}/search", Json(new { mode = "keyword", query = "the", consistency = new { after = token } }))).EnsureSuccessStatusCode();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ingest: {docs} text-only docs in bulks of {bulk}: {docs / ingest:F1} docs/s acknowledged ({ingest:F1} s), searchable after {clock.Elapsed.TotalSeconds:F1} s"));

        var texts = Enumerable.Range(0, queries).Select(i => Sentences.Next(1_000_000 + i)).ToList();
        foreach (string pass in new[] { "cold (first time each query)", "warm (same queries again)" })
        {
            var histogram = new LongHistogram(TimeStamp.Seconds(60), 3);
            foreach (var query in texts)
            {
                long started = Stopwatch.GetTimestamp();
                (await http.PostAsync($"collections/{collection}/search", Json(new { mode = "vector", query, top_k = 10 }))).EnsureSuccessStatusCode();
                histogram.RecordValue(Stopwatch.GetTimestamp() - started);
            }

            double Ms(double percentile) => histogram.GetValueAtPercentile(percentile) * 1000.0 / Stopwatch.Frequency;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"semantic query, cache {pass}: p50 {Ms(50):F2} ms, p99 {Ms(99):F2} ms ({queries} queries, 1 client)"));
        }

        await http.DeleteAsync($"collections/{collection}");
    }

    private static StringContent Json(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
}
