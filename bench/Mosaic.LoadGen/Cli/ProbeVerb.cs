using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Mosaic.Contracts;
using Mosaic.Load;
using Mosaic.LoadGen.Probe;
using Mosaic.LoadGen.Results;

namespace Mosaic.LoadGen.Cli;

/// <summary>`probe`: measures how long a starting server takes to be up, ready and answering a search.</summary>
internal static class ProbeVerb
{
    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "server, http://127.0.0.1:PORT only", Required = true };
        var collection = new Option<string>("--collection", "-c") { Description = "collection to search", Required = true };
        var queries = new Option<FileInfo>("--queries", "-q") { Description = "query file; the first line with a vector is searched", Required = true };
        var since = new Option<double?>("--since-epoch-ms") { Description = "reference time (Unix ms), e.g. when the server was spawned; default: probe start" };
        var interval = new Option<int>("--interval-ms") { Description = "pause between polls", DefaultValueFactory = _ => 10 };
        var timeout = new Option<double>("--timeout") { Description = "give up after this many seconds", DefaultValueFactory = _ => 600 };
        var json = new Option<FileInfo?>("--json") { Description = "write the result here" };
        var command = new Command("probe", "Time a starting server until /health, /ready and a search answer")
        {
            url, collection, queries, since, interval, timeout, json,
        };
        command.SetAction(async (result, ct) =>
        {
            int pause = result.GetValue(interval);
            double limit = result.GetValue(timeout);
            if (pause is < 1 or > 10_000 || limit is <= 0 or > 3600)
            {
                await Console.Error.WriteLineAsync("loadgen probe: --interval-ms must be within 1..10000 and --timeout within (0, 3600]");
                return 2;
            }

            HttpClient http;
            QueryLine? line;
            try
            {
                http = LoadTarget.CreateClient(LoadTarget.RequireLoopback(result.GetValue(url)!), 2);
                line = QuerySet.Load(result.GetValue(queries)!).FirstOrDefault(q => q.Vector is not null);
            }
            catch (Exception ex) when (ex is ArgumentException or IOException or InvalidDataException)
            {
                await Console.Error.WriteLineAsync($"loadgen probe: {ex.Message}");
                return 2;
            }

            if (line is null)
            {
                await Console.Error.WriteLineAsync("loadgen probe: the query file has no vector");
                return 2;
            }

            using (http)
            {
                byte[] body = JsonSerializer.SerializeToUtf8Bytes(new SearchRequest(Mode: "vector", Vector: line.Vector, TopK: 10, AllowPartial: false), MosaicJson.Api.SearchRequest);
                var probe = new RestartProbe(http, result.GetValue(collection)!, body, TimeSpan.FromMilliseconds(pause), TimeSpan.FromSeconds(limit));
                var outcome = await probe.RunAsync(result.GetValue(since), ct);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"health after {outcome.HealthMs?.ToString("0", CultureInfo.InvariantCulture) ?? "-"} ms, ready after {outcome.ReadyMs?.ToString("0", CultureInfo.InvariantCulture) ?? "-"} ms, search answered after {outcome.SearchMs?.ToString("0", CultureInfo.InvariantCulture) ?? "-"} ms"));
                if (result.GetValue(json) is { } file)
                {
                    file.Directory?.Create();
                    await File.WriteAllBytesAsync(file.FullName, JsonSerializer.SerializeToUtf8Bytes(outcome, LoadGenJson.Default.ProbeResult), ct);
                }

                return outcome.TimedOut ? 1 : 0;
            }
        });
        return command;
    }
}
