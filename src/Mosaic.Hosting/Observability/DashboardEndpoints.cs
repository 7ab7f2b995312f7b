using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Mosaic.Contracts;
using Mosaic.Hosting.Http;

namespace Mosaic.Hosting.Observability;

/// <summary>
/// GET /signals on every role (this node's own signals, read by the sampling coordinator); on API nodes also GET /dashboard
/// (one static page: no build step, no CDN) and GET /dashboard/data (the JSON it polls).
/// </summary>
internal static class DashboardEndpoints
{
    /// <summary>The page's "recent" tiles: long enough to hold two 5 s samples, short enough to follow a change.</summary>
    private static readonly TimeSpan Recent = TimeSpan.FromSeconds(10);

    private static readonly Lazy<string> Page = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Mosaic.Hosting.Observability.dashboard.html")
            ?? throw new InvalidOperationException("dashboard.html is not embedded");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    /// <remarks>
    /// <c>?from=&amp;to=</c> (Unix seconds, both included) asks for exact seconds, so a sampler that asks for the seconds after
    /// its previous pass counts each second once; <c>?seconds=N</c> asks for the last N complete seconds (default 10).
    /// </remarks>
    public static void MapSignals(this IEndpointRouteBuilder app, string nodeId, string role) =>
        app.MapGet("/signals", (SignalRecorder recorder, HttpContext context) =>
        {
            var query = context.Request.Query;
            long to = recorder.LastCompleteSecond;
            if (query.ContainsKey("from") || query.ContainsKey("to"))
            {
                // from >= 0 first: to - from of a negative from could overflow past the width check (-2^63 .. 2^63-1 passed as -1).
                if (!long.TryParse(query["from"], out long from) || !long.TryParse(query["to"], out to) || from < 0 || from > to || to - from >= SignalRecorder.MaxWindowSeconds)
                {
                    return ApiErrors.Error(400, "invalid_argument", $"from and to must be Unix seconds (0 or more) with from <= to and at most {SignalRecorder.MaxWindowSeconds} seconds apart, got from='{query["from"]}' to='{query["to"]}'");
                }

                return Results.Json(NodeSignals.ToResponse(nodeId, role, recorder.Window(from, to)), MosaicJson.Api.NodeSignalsResponse);
            }

            string? given = query["seconds"];
            if (!int.TryParse(given ?? "10", out int seconds) || seconds is < 1 or > SignalRecorder.MaxWindowSeconds)
            {
                return ApiErrors.Error(400, "invalid_argument", $"seconds must be a whole number within 1..{SignalRecorder.MaxWindowSeconds}, got '{given}'");
            }

            return Results.Json(NodeSignals.ToResponse(nodeId, role, recorder.Window(TimeSpan.FromSeconds(seconds))), MosaicJson.Api.NodeSignalsResponse);
        }).WithTags("operations").Produces<NodeSignalsResponse>().Produces<ErrorResponse>(400);

    public static void MapDashboard(this IEndpointRouteBuilder app)
    {
        app.MapGet("/dashboard", () => Results.Content(Page.Value, "text/html; charset=utf-8")).WithTags("operations").ExcludeFromDescription();
        app.MapGet("/dashboard/data", DataAsync).WithTags("operations").Produces<DashboardResponse>();
    }

    private static async Task<IResult> DataAsync(ClusterSampler sampler, IOptions<ObservabilityOptions> options, IOptions<MosaicOptions> mosaic, HttpContext context)
    {
        var latest = await sampler.LatestOrSampleAsync(context.RequestAborted);
        var series = sampler.History(options.Value.DashboardSpan);
        var cluster = latest.Cluster;
        var nodes = latest.Nodes.Select(n => new DashboardNodeResponse(
            n.Node.Name, n.Node.Role, n.Node.Address, n.Node.State, n.Node.ShardsHeld, n.Node.Bytes,
            n.Signals?.CpuUtilization is { } cpu ? Math.Round(cpu, 4) : null, n.WorkingSetBytes, n.Signals is { } s ? Math.Round(s.RequestsPerSecond, 2) : null,
            n.Node.DiskFreeBytes, n.Node.DiskFloorBytes, n.Node.DiskLow)).ToList();
        var collections = cluster.Collections.Select(c =>
        {
            var docs = ClusterSample.ShardDocuments(c);
            return new DashboardCollectionResponse(c.Name, docs.Sum(), ClusterSample.Imbalance(docs), c.Shards);
        }).ToList();
        var body = new DashboardResponse(
            NodeName(mosaic.Value, context),
            mosaic.Value.Role.ToString().ToLowerInvariant(),
            latest.At,
            cluster.Nodes.Count(n => n.State == "alive"),
            cluster.Collections.Sum(c => c.Shards.Count),
            cluster.ShardImbalance,
            nodes,
            collections,
            Summary(latest.At, Over(series, latest.At, Recent) ?? latest.Api),
            Summary(latest.At, Over(series, latest.At, TimeSpan.FromMinutes(1)) ?? latest.Api),
            [.. series.Select(p => Summary(p.At, p.Api))]);
        return Results.Json(body, MosaicJson.Api.DashboardResponse);
    }

    private static string NodeName(MosaicOptions mosaic, HttpContext context) => $"{mosaic.Host}:{context.Connection.LocalPort}";

    /// <summary>The samples of the last <paramref name="span"/> before <paramref name="end"/> merged; null when there are none.</summary>
    internal static SignalWindow? Over(IReadOnlyList<ClusterSample> history, DateTimeOffset end, TimeSpan span)
    {
        var points = history.Where(p => p.At > end - span && p.At <= end).Select(p => p.Api).ToList();
        return points.Count == 0 ? null : SignalWindow.Merge(points, consecutive: true);
    }

    private static SignalSummaryResponse Summary(DateTimeOffset at, SignalWindow w) => new(
        at,
        w.Length.TotalSeconds,
        w.Searches,
        Math.Round(w.Qps, 2),
        w.P50Ms is { } p50 ? Math.Round(p50, 2) : null,
        w.P99Ms is { } p99 ? Math.Round(p99, 2) : null,
        Math.Round(w.ErrorRate, 4),
        Math.Round(w.PartialRate, 4),
        w.CacheHitRate is { } hit ? Math.Round(hit, 4) : null);
}
