using System.Globalization;
using Spectre.Console;

namespace Mosaic.Load.Results;

/// <summary>Renders load runs as a Spectre.Console table.</summary>
public static class ResultTable
{
    public static Table Build(IEnumerable<RunResult> runs)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("run")
            .AddColumn("loop")
            .AddColumn(new TableColumn("requests").RightAligned())
            .AddColumn(new TableColumn("errors").RightAligned())
            .AddColumn(new TableColumn("QPS").RightAligned())
            .AddColumn(new TableColumn("p50 ms").RightAligned())
            .AddColumn(new TableColumn("p90 ms").RightAligned())
            .AddColumn(new TableColumn("p99 ms").RightAligned())
            .AddColumn(new TableColumn("p99.9 ms").RightAligned())
            .AddColumn(new TableColumn("max ms").RightAligned())
            .AddColumn(new TableColumn("cpu % gen/srv/other").RightAligned())
            .AddColumn(new TableColumn("srv cpu ms/req").RightAligned());
        foreach (var run in runs)
        {
            string loop = run.Loop == "open" ? $"open {F(run.TargetRate ?? 0, "0")}/s" : $"closed c={run.Clients}";
            string errors = run.Errors == 0 ? "0" : $"[red]{run.Errors}[/] ({Markup.Escape(string.Join(", ", run.ErrorKinds.Select(e => $"{e.Key}:{e.Value}")))})";
            table.AddRow(
                Markup.Escape(run.Label),
                loop,
                run.Requests.ToString(CultureInfo.InvariantCulture),
                errors,
                F(run.Qps, "0"),
                F(run.Latency.P50Ms, "0.00"),
                F(run.Latency.P90Ms, "0.00"),
                F(run.Latency.P99Ms, "0.00"),
                F(run.Latency.P999Ms, "0.00"),
                F(run.Latency.MaxMs, "0.0"),
                $"{F(run.LoadGenCpuPercent, "0")}/{(run.ServerCpuPercent is { } s ? F(s, "0") : "-")}/{(run.OtherCpuPercent is { } o ? F(o, "0") : "-")}",
                run.ServerCpuMsPerRequest is { } c ? F(c, "0.000") : "-");
        }

        return table;
    }

    private static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
