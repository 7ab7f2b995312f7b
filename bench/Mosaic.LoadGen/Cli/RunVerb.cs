using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Mosaic.LoadGen.Load;
using Mosaic.LoadGen.Results;
using Spectre.Console;

namespace Mosaic.LoadGen.Cli;

/// <summary>`run`: one closed-loop or open-loop search load against a collection; prints a table and writes JSON.</summary>
internal static class RunVerb
{
    private static readonly string[] Modes = ["vector", "keyword", "hybrid"];

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
                    LoopbackTarget.Require(result.GetValue(url)!),
                    result.GetValue(collection)!,
                    result.GetValue(queries)!,
                    m,
                    loopKind,
                    result.GetValue(clients),
                    result.GetValue(rate),
                    TimeSpan.FromSeconds(result.GetValue(warmup)),
                    TimeSpan.FromSeconds(result.GetValue(duration)),
                    result.GetValue(maxRequests),
                    result.GetValue(maxInFlight),
                    orderKind,
                    result.GetValue(seed),
                    result.GetValue(topK),
                    includeList,
                    result.GetValue(filter),
                    result.GetValue(efSearch),
                    TimeSpan.FromMilliseconds(result.GetValue(timeout)),
                    result.GetValue(label) ?? $"{m} {l}",
                    result.GetValue(json),
                    result.GetValue(serverPid));
                error = Check(settings);
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

    /// <summary>Every bound that keeps a run finite and local; null when the settings are fine.</summary>
    private static string? Check(LoadSettings s)
    {
        if (!Modes.Contains(s.Mode))
        {
            return "--mode must be vector, keyword or hybrid";
        }

        if (s.Loop == LoopKind.Closed && s.Clients is < 1 or > 1024)
        {
            return "--clients must be within 1..1024";
        }

        if (s.Loop == LoopKind.Open && (!double.IsFinite(s.Rate) || s.Rate is <= 0 or > 100_000))
        {
            return "--rate must be within (0, 100000] for the open loop";
        }

        if (s.Duration <= TimeSpan.Zero || s.Duration > TimeSpan.FromHours(1))
        {
            return "--duration must be within (0, 3600] seconds";
        }

        if (s.Warmup < TimeSpan.Zero || s.Warmup > TimeSpan.FromMinutes(10))
        {
            return "--warmup must be within [0, 600] seconds";
        }

        if (s.MaxRequests is < 1 or > 100_000_000)
        {
            return "--max-requests must be within 1..100000000";
        }

        if (s.MaxInFlight is < 1 or > 10_000)
        {
            return "--max-in-flight must be within 1..10000";
        }

        if (s.TopK is < 1 or > 1000)
        {
            return "--top-k must be within 1..1000";
        }

        if (s.Timeout <= TimeSpan.Zero || s.Timeout > TimeSpan.FromMinutes(1))
        {
            return "--timeout-ms must be within 1..60000";
        }

        return null;
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

        using var http = LoopbackTarget.CreateClient(settings.Url, settings.Connections);
        var sender = new SearchSender(http, settings.Collection, settings.Timeout);
        var picker = new QueryPicker(bodies.Count, settings.Order, settings.Seed);
        string started = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var measurement = settings.Loop == LoopKind.Closed
            ? await new ClosedLoopRunner(sender, bodies, picker, settings).RunAsync(ct)
            : await new OpenLoopRunner(sender, bodies, picker, settings).RunAsync(ct);

        var m = measurement.Measured;
        var run = new RunResult(
            settings.Label,
            settings.Mode,
            settings.Loop == LoopKind.Closed ? "closed" : "open",
            settings.Loop == LoopKind.Closed ? settings.Clients : settings.MaxInFlight,
            settings.Loop == LoopKind.Open ? settings.Rate : null,
            settings.Warmup.TotalSeconds,
            settings.Duration.TotalSeconds,
            settings.Url.ToString(),
            settings.Collection,
            settings.Queries.FullName,
            bodies.Count,
            globalFilter is not null || lines.Any(l => l.Filter is not null),
            settings.Order == QueryOrder.RoundRobin ? "round-robin" : "random",
            settings.Seed,
            settings.TopK,
            measurement.Warmup.Requests,
            m.Requests,
            m.Ok,
            m.Empty,
            m.Errors,
            m.ErrorKinds,
            Math.Round(measurement.MeasuredSeconds, 3),
            Math.Round(m.Requests / Math.Max(measurement.MeasuredSeconds, 1e-9), 1),
            m.Latency,
            m.ServiceTime,
            settings.Loop == LoopKind.Open ? m.DispatchLag : null,
            measurement.Cpu.LoadGen,
            measurement.Cpu.Server,
            measurement.Cpu.ServerRunQueueWait,
            measurement.Cpu.Others,
            measurement.Cpu.Server is { } serverCpu && m.Requests > 0 ? Math.Round(serverCpu / 100 * measurement.MeasuredSeconds * 1000 / m.Requests, 3) : null,
            measurement.LoadAverageAtEnd,
            started,
            Machine.Describe(),
            m.Timeline);

        AnsiConsole.Write(ResultTable.Build([run]));
        if (settings.Loop == LoopKind.Open)
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
            await File.WriteAllBytesAsync(file.FullName, JsonSerializer.SerializeToUtf8Bytes(run, LoadGenJson.Default.RunResult), ct);
        }

        return m.Requests > 0 && m.Errors == 0 ? 0 : 1;
    }
}
