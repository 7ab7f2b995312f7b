using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Mosaic.Load;
using Mosaic.Load.Results;
using Mosaic.LoadGen.Load;
using Spectre.Console;

namespace Mosaic.LoadGen.Cli;

/// <summary>`run`: one closed-loop or open-loop search load against a collection; prints a table and writes JSON.</summary>
internal static class RunVerb
{
    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "server, http://127.0.0.1:PORT only", Required = true };
        var collection = new Option<string>("--collection", "-c") { Description = "collection to search", Required = true };
        var queries = new Option<FileInfo>("--queries", "-q") { Description = "NDJSON query file: {\"vector\", \"query\", \"filter\"} per line", Required = true };
        var mode = new Option<string>("--mode") { Description = "vector | keyword | hybrid", DefaultValueFactory = _ => "vector" };
        var loop = new Option<string>("--loop") { Description = "closed (C clients, max throughput) | open (constant rate, latency from the schedule)", DefaultValueFactory = _ => "closed" };
        var clients = new Option<int>("--clients") { Description = "closed loop: concurrent clients", DefaultValueFactory = _ => 4 };
        var rate = new Option<double>("--rate") { Description = "open loop: requests per second" };
        var duration = new Option<double>("--duration", "-d") { Description = "measured seconds", DefaultValueFactory = _ => 20 };
        var warmup = new Option<double>("--warmup", "-w") { Description = "warm-up seconds before measuring (same load, not recorded)", DefaultValueFactory = _ => 5 };
        var maxRequests = new Option<long>("--max-requests") { Description = "hard cap on requests sent, warm-up included", DefaultValueFactory = _ => 10_000_000 };
        var maxInFlight = new Option<int>("--max-in-flight") { Description = "open loop: most outstanding requests (and connections)", DefaultValueFactory = _ => 256 };
        var order = new Option<string>("--order") { Description = "round-robin | random (seeded)", DefaultValueFactory = _ => "random" };
        var seed = new Option<int>("--seed") { Description = "seed of the random query order", DefaultValueFactory = _ => 42 };
        var topK = new Option<int>("--top-k") { Description = "top_k of every search", DefaultValueFactory = _ => 10 };
        var include = new Option<string?>("--include") { Description = "comma-separated include list (text,fields,vector) or 'none'; default: the server's" };
        var filter = new Option<string?>("--filter") { Description = "filter JSON for query lines without their own filter" };
        var efSearch = new Option<int?>("--ef-search") { Description = "ef_search of every search (default: the collection's)" };
        var timeout = new Option<int>("--timeout-ms") { Description = "per-request timeout", DefaultValueFactory = _ => 10_000 };
        var label = new Option<string?>("--label") { Description = "name of the run in the table and JSON" };
        var json = new Option<FileInfo?>("--json") { Description = "write the result here" };
        var serverPid = new Option<int?>("--server-pid") { Description = "also report the CPU use of this (server) process, from /proc" };
        var command = new Command("run", "Drive search load: closed-loop throughput or open-loop constant-rate latency")
        {
            url, collection, queries, mode, loop, clients, rate, duration, warmup, maxRequests, maxInFlight, order, seed, topK, include, filter, efSearch, timeout, label, json, serverPid,
        };
        command.SetAction(async (result, ct) =>
        {
            string? error = null;
            LoadSettings? settings = null;
            try
            {
                string m = result.GetValue(mode)!.ToLowerInvariant();
                string l = result.GetValue(loop)!.ToLowerInvariant();
                var loopKind = l switch
                {
                    "closed" => LoopKind.Closed,
                    "open" => LoopKind.Open,
                    _ => throw new ArgumentException("--loop must be closed or open"),
                };
                var orderKind = result.GetValue(order)!.ToLowerInvariant() switch
                {
                    "round-robin" or "roundrobin" => QueryOrder.RoundRobin,
                    "random" => QueryOrder.Random,
                    _ => throw new ArgumentException("--order must be round-robin or random"),
                };
                string? includeText = result.GetValue(include);
                string[]? includeList = includeText is null ? null
                    : includeText == "none" ? []
                    : includeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                settings = new LoadSettings(
                    LoadTarget.RequireLoopback(result.GetValue(url)!),
                    result.GetValue(collection)!,
                    result.GetValue(queries)!,
                    m,
                    new LoadShape(
                        loopKind,
                        result.GetValue(clients),
                        result.GetValue(rate),
                        LoadChecks.Seconds(result.GetValue(warmup)),
                        LoadChecks.Seconds(result.GetValue(duration)),
                        result.GetValue(maxRequests),
                        result.GetValue(maxInFlight),
                        result.GetValue(serverPid)),
                    orderKind,
                    result.GetValue(seed),
                    result.GetValue(topK),
                    includeList,
                    result.GetValue(filter),
                    result.GetValue(efSearch),
                    TimeSpan.FromMilliseconds(result.GetValue(timeout)),
                    result.GetValue(label) ?? $"{m} {l}",
                    result.GetValue(json));
                error = LoadChecks.Problem(settings.Shape, settings.Mode, settings.TopK, settings.Timeout);
            }
            catch (ArgumentException ex)
            {
                error = ex.Message;
            }

            if (error is not null || settings is null)
            {
                await Console.Error.WriteLineAsync($"loadgen run: {error}");
                return 2;
            }

            return await RunAsync(settings, ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(LoadSettings settings, CancellationToken ct)
    {
        JsonElement? globalFilter = null;
        List<QueryLine> lines;
        RequestBodies bodies;
        try
        {
            if (settings.Filter is { } f)
            {
                using var doc = JsonDocument.Parse(f);
                globalFilter = doc.RootElement.Clone();
            }

            lines = QuerySet.Load(settings.Queries);
            bodies = RequestBodies.Build(lines, settings.Mode, settings.TopK, settings.Include, globalFilter, settings.EfSearch);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or JsonException)
        {
            await Console.Error.WriteLineAsync($"loadgen run: {ex.Message}");
            return 2;
        }

        using var http = LoadTarget.CreateClient(settings.Url, settings.Shape.Connections);
        var sender = new SearchSender(http, settings.Collection, settings.Timeout);
        var picker = new QueryPicker(bodies.Count, settings.Order, settings.Seed);
        var started = DateTime.UtcNow;
        var measurement = await LoadRunner.For(sender, bodies, picker, settings.Shape).RunAsync(ct);
        var m = measurement.Measured;
        var run = RunResult.From(
            settings.Label, settings.Mode, settings.Shape, settings.Url.ToString(), settings.Collection, settings.Queries.FullName, bodies.Count,
            globalFilter is not null || lines.Any(l => l.Filter is not null), settings.Order, settings.Seed, settings.TopK, measurement, started);

        AnsiConsole.Write(ResultTable.Build([run]));
        if (settings.Shape.Loop == LoopKind.Open)
        {
            AnsiConsole.MarkupLine(CultureInfo.InvariantCulture, "  service time (from actual send) p50 {0:0.00} ms, p99 {1:0.00} ms; dispatch lag p50 {2:0.000} ms, p99 {3:0.000} ms, max {4:0.0} ms",
                m.ServiceTime.P50Ms, m.ServiceTime.P99Ms, m.DispatchLag.P50Ms, m.DispatchLag.P99Ms, m.DispatchLag.MaxMs);
        }

        if (m.Empty > 0)
        {
            AnsiConsole.MarkupLine(CultureInfo.InvariantCulture, "  {0} answers had no hits", m.Empty);
        }

        if (settings.Json is { } file)
        {
            file.Directory?.Create();
            await File.WriteAllBytesAsync(file.FullName, JsonSerializer.SerializeToUtf8Bytes(run, LoadJson.Default.RunResult), ct);
        }

        return m.Requests > 0 && m.Errors == 0 ? 0 : 1;
    }
}
