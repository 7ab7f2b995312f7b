using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Mosaic.Client;
using Mosaic.Contracts;
using Mosaic.Load;
using Mosaic.Load.Results;
using Spectre.Console;

namespace Mosaic.Cli.Verbs;

/// <summary>
/// `mosaic bench`: search load against a running server, closed loop (C clients, throughput) or open loop (R/s on a fixed
/// schedule, latency from each request's scheduled time, so a stall is charged to every request it delayed). A progress
/// line per second on stderr, a result table on stdout, and the result as JSON with --json.
/// </summary>
internal static class BenchVerb
{
    // Distinct generated queries: enough that a short run repeats each only a few times (repeats can hit the result cache).
    private const int GeneratedQueryCount = 1024;
    private const int WordSamplingSearches = 8;

    public static Command Create()
    {
        var url = new Option<string?>("--url") { Description = "the server or coordinator to load, e.g. http://127.0.0.1:7700" };
        var collection = new Option<string?>("--collection", "-c") { Description = "collection to search" };
        var mode = new Option<string>("--mode") { Description = "vector | keyword | hybrid", DefaultValueFactory = _ => "vector" };
        var queries = new Option<FileInfo?>("--queries", "-q") { Description = "NDJSON queries, {\"vector\": [...], \"query\": \"...\", \"filter\": {...}} per line (default: random vectors of the collection's dimension; words from its documents for keyword/hybrid)" };
        var clients = new Option<int>("--clients") { Description = "closed loop: concurrent clients, each sending its next search when the last one answered", DefaultValueFactory = _ => 4 };
        var rate = new Option<double?>("--rate") { Description = "open loop instead: searches per second on a fixed schedule (latency from the scheduled time)" };
        var duration = new Option<double>("--duration", "-d") { Description = "measured seconds", DefaultValueFactory = _ => 10 };
        var warmup = new Option<double>("--warmup", "-w") { Description = "seconds of the same load before measuring (sent, not recorded)", DefaultValueFactory = _ => 2 };
        var topK = new Option<int>("--top-k") { Description = "top_k of every search", DefaultValueFactory = _ => 10 };
        var maxInFlight = new Option<int>("--max-in-flight") { Description = "open loop: most searches outstanding at once", DefaultValueFactory = _ => 256 };
        var timeout = new Option<int>("--timeout-ms") { Description = "client-side timeout of one search", DefaultValueFactory = _ => 10_000 };
        var seed = new Option<int>("--seed") { Description = "seed of the generated queries and of the query order", DefaultValueFactory = _ => 42 };
        var json = new Option<FileInfo?>("--json") { Description = "also write the result to this file as JSON" };
        var key = new Option<string?>("--key") { Description = $"a read key when keys are on (default: the {KeysVerb.KeyVariable} environment variable)" };
        var command = new Command("bench", "Load a collection with searches (closed or open loop) and report QPS, errors and latency percentiles (HdrHistogram)")
        {
            url, collection, mode, queries, clients, rate, duration, warmup, topK, maxInFlight, timeout, seed, json, key,
        };
        command.SetAction(async (result, ct) =>
        {
            string? address = result.GetValue(url);
            string? name = result.GetValue(collection);
            string m = result.GetValue(mode)!.ToLowerInvariant();
            double? r = result.GetValue(rate);
            var shape = new LoadShape(
                r is null ? LoopKind.Closed : LoopKind.Open,
                result.GetValue(clients),
                r ?? 0,
                LoadChecks.Seconds(result.GetValue(warmup)),
                LoadChecks.Seconds(result.GetValue(duration)),
                MaxInFlight: result.GetValue(maxInFlight));
            var requestTimeout = TimeSpan.FromMilliseconds(result.GetValue(timeout));
            Uri? target = null;
            string? problem = address is null ? "--url is required (the server to load, e.g. http://127.0.0.1:7700)"
                : string.IsNullOrWhiteSpace(name) ? "--collection is required"
                : r is not null && result.GetResult(clients) is { Implicit: false } ? "give either --clients (closed loop) or --rate (open loop), not both"
                : !double.IsFinite(result.GetValue(duration)) || !double.IsFinite(result.GetValue(warmup)) ? "--duration and --warmup must be numbers of seconds"
                : LoadChecks.Problem(shape, m, result.GetValue(topK), requestTimeout);
            if (problem is null)
            {
                try
                {
                    target = LoadTarget.Require(address!);
                }
                catch (ArgumentException ex)
                {
                    problem = ex.Message;
                }
            }

            if (problem is not null)
            {
                return await FailAsync(problem);
            }

            var settings = new BenchSettings(target!, name!, m, shape, result.GetValue(queries), result.GetValue(topK), requestTimeout, result.GetValue(seed),
                result.GetValue(json), result.GetValue(key) ?? Environment.GetEnvironmentVariable(KeysVerb.KeyVariable));
            return await RunAsync(settings, ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(BenchSettings s, CancellationToken ct)
    {
        // The collection must exist (and the server answer) before any load is offered; its dimension shapes generated queries.
        CollectionResponse info;
        List<QueryLine> lines;
        using (var client = new MosaicClient(s.Url, s.ApiKey, TimeSpan.FromSeconds(30)))
        {
            try
            {
                info = await client.GetCollectionAsync(s.Collection, ct);
                lines = s.Queries is { } file ? QuerySet.Load(file) : await GenerateAsync(client, s, info, ct);
            }
            catch (MosaicApiException ex)
            {
                return await FailAsync($"{s.Url} answered {ex.Status} ({ex.Error}): {ex.Detail}");
            }
            catch (HttpRequestException ex)
            {
                return await FailAsync($"cannot reach {s.Url}: {ex.Message}");
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                return await FailAsync($"{s.Url} did not answer within 30 s");
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or JsonException)
            {
                return await FailAsync(ex.Message);
            }
        }

        RequestBodies bodies;
        try
        {
            bodies = RequestBodies.Build(lines, s.Mode, s.TopK, null, null, null);
        }
        catch (InvalidDataException ex)
        {
            return await FailAsync(ex.Message);
        }

        using var http = LoadTarget.CreateClient(s.Url, s.Shape.Connections, s.ApiKey);
        var runner = LoadRunner.For(new SearchSender(http, s.Collection, s.Timeout), bodies, new QueryPicker(bodies.Count, QueryOrder.Random, s.Seed), s.Shape);
        string loop = s.Shape.Loop == LoopKind.Closed ? $"closed loop, {s.Shape.Clients} clients" : $"open loop, {s.Shape.Rate:0.###}/s";
        await Console.Error.WriteLineAsync($"mosaic bench: {s.Mode} searches on '{s.Collection}' at {s.Url}, {loop}, {s.Shape.Warmup.TotalSeconds:0.#} s warm-up + {s.Shape.Duration.TotalSeconds:0.#} s, {bodies.Count} queries");
        var started = DateTime.UtcNow;
        var run = runner.RunAsync(ct);
        await ReportProgressAsync(runner, run, s.Shape);
        var measurement = await run;
        if (Console.IsOutputRedirected)
        {
            // Spectre assumes 80 columns without a terminal; the result table is wider.
            AnsiConsole.Profile.Width = 200;
        }

        var result = RunResult.From($"{s.Mode} {s.Shape.LoopName}", s.Mode, s.Shape, s.Url.ToString(), s.Collection, s.Queries?.FullName ?? "(generated)", bodies.Count,
            lines.Any(l => l.Filter is not null), QueryOrder.Random, s.Seed, s.TopK, measurement, started);
        AnsiConsole.Write(ResultTable.Build([result]));
        if (result.ErrorKinds.Count > 0)
        {
            Console.WriteLine("errors: " + string.Join(", ", result.ErrorKinds.Select(e => $"{e.Key} {e.Value}")));
        }

        if (s.Json is { } output)
        {
            output.Directory?.Create();
            await File.WriteAllBytesAsync(output.FullName, JsonSerializer.SerializeToUtf8Bytes(result, LoadJson.Default.RunResult), ct);
        }

        return result.Requests > 0 && result.Errors == 0 ? 0 : 1;
    }

    /// <summary>One line per second on stderr until the run ends: phase, requests, rate, p50/p99 and errors so far.</summary>
    private static async Task ReportProgressAsync(LoadRunner runner, Task run, LoadShape shape)
    {
        var clock = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (!run.IsCompleted && await Task.WhenAny(run, timer.WaitForNextTickAsync().AsTask()) != run)
        {
            if (runner.Progress() is not { } progress)
            {
                continue;
            }

            var p = progress.Phase;
            double phaseSeconds = progress.Measuring ? clock.Elapsed.TotalSeconds - shape.Warmup.TotalSeconds : clock.Elapsed.TotalSeconds;
            await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"[{clock.Elapsed.TotalSeconds,4:0}s] {(progress.Measuring ? "measure" : "warm-up")}: {p.Requests} requests, {p.Requests / Math.Max(phaseSeconds, 0.001):0.0}/s, " +
                $"p50 {p.Latency.P50Ms:0.00} ms, p99 {p.Latency.P99Ms:0.00} ms, errors {p.Errors}"));
        }
    }

    /// <summary>Vectors of the collection's dimension; for keyword and hybrid modes, words from the texts of documents found by a few vector searches.</summary>
    private static async Task<List<QueryLine>> GenerateAsync(MosaicClient client, BenchSettings s, CollectionResponse info, CancellationToken ct)
    {
        bool needsVector = s.Mode is "vector" or "hybrid";
        bool needsText = s.Mode is "keyword" or "hybrid";
        if (info.Dimension <= 0)
        {
            throw new InvalidDataException($"collection '{info.Name}' has no vectors: give --queries FILE.jsonl with the query texts to search for");
        }

        var words = new List<string>();
        if (needsText)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var probe in GeneratedQueries.Make(WordSamplingSearches, info.Dimension, [], s.Seed))
            {
                var answer = await client.SearchAsync(s.Collection, new SearchRequest(Mode: "vector", Vector: probe.Vector, TopK: 20, Include: ["text"]), ct);
                foreach (string word in answer.Hits.SelectMany(h => (h.Text ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)))
                {
                    string w = new([.. word.Where(char.IsLetterOrDigit)]);
                    if (w.Length >= 3 && seen.Add(w.ToLowerInvariant()))
                    {
                        words.Add(w.ToLowerInvariant());
                    }
                }
            }

            if (words.Count == 0)
            {
                throw new InvalidDataException($"found no document text in '{info.Name}' to make {s.Mode} queries from: give --queries FILE.jsonl");
            }

            await Console.Error.WriteLineAsync($"mosaic bench: {words.Count} query words taken from documents found by {WordSamplingSearches} vector searches (not counted in the result)");
        }

        return GeneratedQueries.Make(GeneratedQueryCount, needsVector ? info.Dimension : 0, words, s.Seed);
    }

    private static async Task<int> FailAsync(string message)
    {
        await Console.Error.WriteLineAsync($"mosaic bench: {message}");
        return 2;
    }

    private sealed record BenchSettings(
        Uri Url, string Collection, string Mode, LoadShape Shape, FileInfo? Queries, int TopK, TimeSpan Timeout, int Seed, FileInfo? Json, string? ApiKey);
}
