using System.CommandLine;
using System.Text.Json;
using Mosaic.Client;
using Mosaic.Contracts;
using Spectre.Console;

namespace Mosaic.Cli.Verbs;

/// <summary>`mosaic advise --url URL`: a coordinator's scaling advice (GET /advice) as a table and a list of actions.</summary>
internal static class AdviseVerb
{
    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "a coordinator's address", DefaultValueFactory = _ => "http://127.0.0.1:7700/" };
        var json = new Option<bool>("--json") { Description = "print the /advice JSON as it came" };
        var key = new Option<string?>("--key") { Description = $"a read key when keys are on (default: the {KeysVerb.KeyVariable} environment variable)" };
        var command = new Command("advise", "Recommend coordinators and workers up or down, shards to split and hot shards to replicate (HPA algorithm over the recent signals)") { url, json, key };
        command.SetAction(async (result, ct) =>
        {
            string address = result.GetValue(url)!;
            if (!Uri.TryCreate(address.EndsWith('/') ? address : address + "/", UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                await Console.Error.WriteLineAsync($"mosaic advise: --url must be an http(s) address, got '{address}'");
                return 2;
            }

            using var client = new MosaicClient(uri, result.GetValue(key) ?? Environment.GetEnvironmentVariable(KeysVerb.KeyVariable));
            AdviceResponse advice;
            try
            {
                advice = await client.GetAdviceAsync(ct);
            }
            catch (Exception ex) when (ex is HttpRequestException or MosaicApiException or JsonException)
            {
                await Console.Error.WriteLineAsync($"mosaic advise: cannot read {uri}advice: {ex.Message}");
                return 1;
            }

            if (result.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(advice, MosaicJson.Api.AdviceResponse));
                return 0;
            }

            var s = advice.Signals;
            Console.WriteLine($"over the last {advice.WindowSeconds:0} s: {s.Qps:0.##} searches/s, p50 {Ms(s.P50Ms)}, p99 {Ms(s.P99Ms)}, " +
                $"errors {s.ErrorRate:P1}, partial {s.PartialRate:P1}, cache hits {(s.CacheHitRate is { } h ? h.ToString("P1") : "n/a")}");
            var roles = new Table().AddColumns("role", "current", "desired", "metrics (value / target)");
            foreach (var r in advice.Roles)
            {
                roles.AddRow(new Text(r.Role), new Text(r.Current.ToString()), new Text(r.Desired.ToString()),
                    new Text(string.Join("; ", r.Metrics.Select(m => $"{m.Name} {m.Value:0.###} / {m.Target:0.###}"))));
            }

            AnsiConsole.Write(roles);
            foreach (var r in advice.Recommendations)
            {
                Console.WriteLine($"- {r.Action}: {r.Reason}");
            }

            return 0;
        });
        return command;
    }

    private static string Ms(double? ms) => ms is double v ? $"{v:0.##} ms" : "n/a";
}
