using System.CommandLine;
using System.Text.Json;
using Mosaic.Load.Results;
using Mosaic.LoadGen.Summary;
using Spectre.Console;

namespace Mosaic.LoadGen.Cli;

/// <summary>`summary`: one table over a bench/embedded results directory; also writes summary.md and summary.json there.</summary>
internal static class SummaryVerb
{
    public static Command Create()
    {
        var dir = new Argument<DirectoryInfo>("dir") { Description = "results directory (import.json, load-*.json, restart-*.json)" };
        var title = new Option<string?>("--title") { Description = "table title" };
        var command = new Command("summary", "Summarize an embedded pipeline run") { dir, title };
        command.SetAction(result =>
        {
            var directory = result.GetValue(dir)!;
            if (!directory.Exists)
            {
                Console.Error.WriteLine($"loadgen summary: no such directory {directory.FullName}");
                return 2;
            }

            var rows = PipelineSummary.Collect(directory);
            string heading = result.GetValue(title) ?? $"Mosaic embedded pipeline on {Machine.Describe()}";
            AnsiConsole.Write(PipelineSummary.Table(rows, heading));
            File.WriteAllText(Path.Combine(directory.FullName, "summary.md"), PipelineSummary.Markdown(rows));
            File.WriteAllText(Path.Combine(directory.FullName, "summary.json"), PipelineSummary.Json(rows).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        });
        return command;
    }
}
