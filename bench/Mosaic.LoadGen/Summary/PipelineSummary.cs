using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mosaic.Load.Results;
using Spectre.Console;

namespace Mosaic.LoadGen.Summary;

/// <summary>Collects a bench/embedded results directory (import.json, load-*.json, restart-*.json) into one table.</summary>
internal static class PipelineSummary
{
    public static List<SummaryRow> Collect(DirectoryInfo dir)
    {
        var rows = new List<SummaryRow>();
        if (Read(dir, "import.json") is { } import)
        {
            rows.Add(new SummaryRow(
                "import",
                $"{Num(import["docs"])} docs, bulk {Num(import["batch"])}",
                $"{Num(import["acked_rate"])} docs/s acked",
                null,
                null,
                $"{Num(import["server_cpu_ms"] is { } cpu && import["docs"] is { } n ? JsonValue.Create(cpu.GetValue<double>() / n.GetValue<double>()) : null, "0.00")} server CPU-ms/doc; acked in {Num(import["acked_seconds"], "0.0")} s; searchable after {Num(import["indexed_seconds"], "0.0")} s = {Num(import["indexed_rate"])} docs/s indexed; server CPU {Num(import["server_cpu_percent"])}% of a core, other processes (import client included) {Num(import["other_cpu_percent"])}%"));
        }

        foreach (var file in dir.GetFiles("load-*.json").OrderBy(f => f.LastWriteTimeUtc))
        {
            var run = JsonSerializer.Deserialize(File.ReadAllBytes(file.FullName), LoadJson.Default.RunResult);
            if (run is null)
            {
                continue;
            }

            string loop = run.Loop == "open" ? $"open {F(run.TargetRate ?? 0, "0")}/s" : $"closed c={run.Clients}";
            string errors = run.Errors == 0 ? "no errors" : $"{run.Errors} errors ({string.Join(", ", run.ErrorKinds.Select(e => $"{e.Key}:{e.Value}"))})";
            string empty = run.Empty > 0 ? $", {run.Empty} empty" : "";
            rows.Add(new SummaryRow(
                "search",
                $"{run.Label} ({loop})",
                $"{F(run.Qps, "0")} QPS",
                run.Latency.P50Ms,
                run.Latency.P99Ms,
                $"{run.Requests} req, {errors}{empty}; server {(run.ServerCpuMsPerRequest is { } c ? F(c, "0.00") : "-")} CPU-ms/req; p99.9 {F(run.Latency.P999Ms, "0.0")} ms; CPU % gen/server/other processes {F(run.LoadGenCpuPercent, "0")}/{(run.ServerCpuPercent is { } s ? F(s, "0") : "-")}/{(run.OtherCpuPercent is { } o ? F(o, "0") : "-")}"));
        }

        foreach (var file in dir.GetFiles("restart-*.json").OrderBy(f => f.LastWriteTimeUtc))
        {
            if (Read(dir, file.Name) is not { } restart)
            {
                continue;
            }

            var probe = restart["probe"];
            string stop = restart["stop_ms"] is { } stopMs ? $"stop {Num(stopMs)} ms; " : "";
            string host = restart["host_starting_ms"] is { } hostMs ? $"host built {Seconds(hostMs)}, " : "";
            string opened = restart["opened"] is JsonArray reports && reports.Count > 0
                ? "; " + string.Join("; ", reports.Select(r => r?.GetValue<string>()))
                : "";
            rows.Add(new SummaryRow(
                "restart",
                restart["kind"]?.GetValue<string>() ?? file.Name,
                $"ready {Seconds(probe?["ready_ms"])}",
                null,
                null,
                $"{stop}{host}/health {Seconds(probe?["health_ms"])}, first search {Seconds(probe?["search_ms"])}; server CPU {Seconds(restart["server_cpu_ms_until_search"])}, other processes (probe included) {Num(restart["other_cpu_percent"])}% of a core{opened}"));
        }

        return rows;
    }

    public static Table Table(IEnumerable<SummaryRow> rows, string title)
    {
        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape(title))
            .AddColumn("phase")
            .AddColumn("run")
            .AddColumn(new TableColumn("rate").RightAligned())
            .AddColumn(new TableColumn("p50 ms").RightAligned())
            .AddColumn(new TableColumn("p99 ms").RightAligned())
            .AddColumn("detail");
        foreach (var row in rows)
        {
            table.AddRow(Markup.Escape(row.Phase), Markup.Escape(row.Run), Markup.Escape(row.Rate), Ms(row.P50Ms), Ms(row.P99Ms), Markup.Escape(row.Detail));
        }

        return table;
    }

    public static string Markdown(IEnumerable<SummaryRow> rows)
    {
        var text = new StringBuilder();
        text.AppendLine("| phase | run | rate | p50 ms | p99 ms | detail |");
        text.AppendLine("|---|---|---:|---:|---:|---|");
        foreach (var row in rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {row.Phase} | {row.Run} | {row.Rate} | {Ms(row.P50Ms)} | {Ms(row.P99Ms)} | {row.Detail.Replace("|", "\\|", StringComparison.Ordinal)} |");
        }

        return text.ToString();
    }

    public static JsonArray Json(IEnumerable<SummaryRow> rows) =>
    [
        .. rows.Select(r => (JsonNode)new JsonObject
        {
            ["phase"] = r.Phase,
            ["run"] = r.Run,
            ["rate"] = r.Rate,
            ["p50_ms"] = r.P50Ms,
            ["p99_ms"] = r.P99Ms,
            ["detail"] = r.Detail,
        }),
    ];

    private static JsonNode? Read(DirectoryInfo dir, string name)
    {
        string path = Path.Combine(dir.FullName, name);
        return File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path)) : null;
    }

    private static string Ms(double? ms) => ms is { } v ? F(v, "0.00") : "";

    private static string Seconds(JsonNode? ms) => ms is null ? "-" : F(ms.GetValue<double>() / 1000, "0.00") + " s";

    private static string Num(JsonNode? node, string format = "0") => node is null ? "-" : F(node.GetValue<double>(), format);

    private static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
