using System.CommandLine;
using System.Diagnostics;
using Mosaic.Client;
using Spectre.Console;

namespace Mosaic.Cli.Verbs;

/// <summary>`mosaic import FILE.jsonl --collection c`: streams NDJSON to a running server in bulk batches.</summary>
/// <remarks>
/// Each batch is one all-or-nothing bulk request; on a rejected line the import stops, names the file line, and
/// reports how many lines before that batch were written.
/// </remarks>
internal static class ImportVerb
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("file") { Description = "NDJSON file: one {\"id\", \"text\", \"vector\", \"fields\"} per line" };
        var collection = new Option<string>("--collection", "-c") { Description = "target collection", Required = true };
        var url = new Option<string>("--url") { Description = "server address", DefaultValueFactory = _ => "http://127.0.0.1:7700/" };
        var batch = new Option<int>("--batch") { Description = "documents per bulk request", DefaultValueFactory = _ => 1000 };
        var wait = new Option<bool>("--wait") { Description = "after writing, wait until every document is searchable and report that rate too" };
        var command = new Command("import", "Bulk-load an NDJSON file into a collection") { file, collection, url, batch, wait };
        command.SetAction((result, ct) => RunAsync(result.GetValue(file)!, result.GetValue(collection)!, result.GetValue(url)!, result.GetValue(batch), result.GetValue(wait), ct));
        return command;
    }

    private static async Task<int> RunAsync(FileInfo file, string collection, string address, int batchSize, bool wait, CancellationToken ct)
    {
        if (!Uri.TryCreate(address.EndsWith('/') ? address : address + "/", UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            await Console.Error.WriteLineAsync($"mosaic import: --url must be an http(s) address, got '{address}'");
            return 2;
        }

        if (!file.Exists)
        {
            await Console.Error.WriteLineAsync($"mosaic import: file not found: {file.FullName}");
            return 2;
        }

        if (batchSize is < 1 or > 100_000)
        {
            await Console.Error.WriteLineAsync("mosaic import: --batch must be within 1..100000");
            return 2;
        }

        using var client = new MosaicClient(url, Environment.GetEnvironmentVariable(KeysVerb.KeyVariable));
        try
        {
            await client.GetCollectionAsync(collection, ct);
        }
        catch (MosaicApiException ex)
        {
            await Console.Error.WriteLineAsync($"mosaic import: {ex.Detail}");
            return 2;
        }
        catch (Exception ex) when (Unreachable(ex, url, ct) is { } why)
        {
            await Console.Error.WriteLineAsync($"mosaic import: {why}");
            return 2;
        }

        var started = Stopwatch.GetTimestamp();
        long written = 0;
        string? error = null;
        try
        {
            await ImportLinesAsync();
        }
        catch (Exception ex) when (Unreachable(ex, url, ct) is { } why)
        {
            // The server went away (or the file could not be read) mid-import: say so and how far it got, no stack trace.
            await Console.Error.WriteLineAsync($"mosaic import: {why} ({written} documents written before; the batch in flight may or may not have been)");
            return 1;
        }

        async Task ImportLinesAsync() => await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async progress =>
            {
                var task = progress.AddTask($"import {file.Name}", maxValue: file.Length);
                using var stream = file.OpenRead();
                using var reader = new StreamReader(stream);
                var lines = new List<string>(batchSize);
                var fileLines = new List<int>(batchSize);
                int lineNumber = 0;
                string? line;
                while (error is null)
                {
                    line = await reader.ReadLineAsync(ct);
                    if (line is not null)
                    {
                        lineNumber++;
                        if (line.Length > 0)
                        {
                            lines.Add(line);
                            fileLines.Add(lineNumber);
                        }
                    }

                    if (lines.Count >= batchSize || (line is null && lines.Count > 0))
                    {
                        try
                        {
                            var answer = await client.BulkAsync(collection, System.Text.Encoding.UTF8.GetBytes(string.Join('\n', lines)), ct);
                            written += answer.Written;
                        }
                        catch (MosaicApiException ex)
                        {
                            error = $"{ToFileLine(ex.Detail, fileLines)} ({written} documents written before this batch of {lines.Count}, which was not written)";
                        }

                        lines.Clear();
                        fileLines.Clear();
                        task.Value = stream.Position;
                    }

                    if (line is null)
                    {
                        break;
                    }
                }

                task.Value = file.Length;
            });

        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        if (error is not null)
        {
            await Console.Error.WriteLineAsync($"mosaic import: {error}");
            return 1;
        }

        Console.WriteLine($"imported {written} documents in {seconds:F1} s ({written / Math.Max(seconds, 1e-9):F0} docs/s acknowledged)");
        if (wait)
        {
            try
            {
                await WaitSearchableAsync(client, collection, ct);
            }
            catch (Exception ex) when (Unreachable(ex, url, ct) is { } why)
            {
                await Console.Error.WriteLineAsync($"mosaic import: every document was written, but waiting for them to be searchable failed: {why}");
                return 1;
            }

            double total = Stopwatch.GetElapsedTime(started).TotalSeconds;
            Console.WriteLine($"searchable after {total:F1} s ({written / Math.Max(total, 1e-9):F0} docs/s indexed)");
        }

        return 0;
    }

    /// <summary>What went wrong for a failure that is the network's, the server's answer's or the file's; null for any other.</summary>
    private static string? Unreachable(Exception ex, Uri url, CancellationToken ct) => ex switch
    {
        HttpRequestException => $"cannot reach {url}: {ex.Message}",
        TaskCanceledException when !ct.IsCancellationRequested => $"{url} did not answer in time",
        System.Text.Json.JsonException => $"{url} answered with something that is not Mosaic's JSON; is --url a Mosaic server?",
        IOException or UnauthorizedAccessException => $"cannot read the file: {ex.Message}",
        _ => null,
    };

    /// <summary>The server names the line within the batch ("line 3: ..."); say which line of the file that is.</summary>
    private static string ToFileLine(string detail, List<int> fileLines)
    {
        var match = System.Text.RegularExpressions.Regex.Match(detail, @"^line (\d+): ");
        return match.Success && int.TryParse(match.Groups[1].Value, out int n) && n >= 1 && n <= fileLines.Count
            ? $"line {fileLines[n - 1]}: {detail[match.Length..]}"
            : detail;
    }

    private static async Task WaitSearchableAsync(MosaicClient client, string collection, CancellationToken ct)
    {
        while (true)
        {
            var info = await client.GetCollectionAsync(collection, ct);
            var shards = info.ShardStats ?? [];
            if (shards.All(s => s.State == "serving" && s.Lag == 0) && shards.Sum(s => s.DocCount) == info.DocCount)
            {
                return;
            }

            await Task.Delay(200, ct);
        }
    }
}
