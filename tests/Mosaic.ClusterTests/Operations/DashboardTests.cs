using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Mosaic.ClusterTests.Cluster;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Operations;

/// <summary>
/// Headless Chromium renders /dashboard of a cluster (2 coordinators, 2 workers) under a small search load through both
/// coordinators. The DOM the page's script leaves shows the live node count, the shard count and a non-zero search rate;
/// the nodes table has a row per node with the CPU each reported (workers answer /signals over HTTP/2). A screenshot is
/// kept as an artifact in the test's output directory (artifacts/dashboard.png).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed partial class DashboardTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    private const string C = "dashed";
    private const int Shards = 4;

    [Fact]
    public Task Chromium_renders_the_dashboard_with_live_nodes_shards_and_a_nonzero_search_rate() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec { Workers = 2, Coordinators = 2, CoordinatorArgs = ["--Mosaic:Observability:SampleInterval=00:00:01"] }, async (cluster, seed) =>
        {
            var http = cluster.Http();
            var vectors = new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 4);
            var docs = ClusterDocs.Make(vectors, "db", 60);
            await ClusterDocs.CreateAndLoadAsync(http, C, ClusterDocs.Collection(shards: Shards, replicas: 1), docs);
            await cluster.WaitSettledAsync(C, replicas: 1, TimeSpan.FromSeconds(60));

            await using var load = QueryLoad.Start([cluster.Http(0), cluster.Http(1)], C, docs.Select(d => d.Id).ToHashSet(), [.. docs.Take(10).Select(d => d.Vector)],
                clients: 2, maxDuration: TimeSpan.FromSeconds(90));
            // The JSON the page polls: both coordinators' searches counted, and every node answered its /signals.
            JsonObject? data = null;
            await Wait.WaitUntilAsync(
                async () =>
                {
                    data = (await http.GetAsync("dashboard/data")).Object;
                    // Document counts come from the replicas' reports, which trail the load by a report interval.
                    return (double)data["recent"]!["qps"]! > 0
                        && data["collections"]!.AsArray().Count > 0 && (long)data["collections"]![0]!["documents"]! == docs.Count
                        && data["nodes"]!.AsArray().Count(n => n!["cpu_utilization"] is not null) == 4
                        && data["nodes"]!.AsArray().Where(n => (string)n!["role"]! == "coordinator").All(n => (double)n!["requests_per_second"]! > 0);
                },
                TimeSpan.FromSeconds(60),
                "dashboard data with a search rate, every document counted, every node's CPU, and requests on both coordinators");
            cluster.Log($"dashboard data: {data!.ToJsonString()[..Math.Min(600, data.ToJsonString().Length)]}");
            Assert.Equal(4, (int)data["live_nodes"]!);
            Assert.Equal(Shards, (int)data["shard_count"]!);
            Assert.Equal(docs.Count, (long)data["collections"]![0]!["documents"]!);

            using var profile = new TempDirectory("mosaic-chromium");
            string url = cluster.Coordinators[0].Url.TrimEnd('/') + "/dashboard";
            string dom = await HeadlessChromium.DumpDomAsync(url, profile.Path, TimeSpan.FromSeconds(5));
            string live = Tile(dom, "live-nodes"), shards = Tile(dom, "shard-count"), qps = Tile(dom, "qps");
            cluster.Log($"rendered: live nodes {live}, shards {shards}, qps {qps}");
            Assert.Equal("4", live);
            Assert.Equal(Shards.ToString(CultureInfo.InvariantCulture), shards);
            Assert.True(double.TryParse(qps.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture, out double rendered) && rendered > 0, $"rendered QPS '{qps}'");
            var rows = NodeRow().Matches(Section(dom, "nodes"));
            Assert.Equal(4, rows.Count);
            Assert.Equal(Shards, NodeRow().Matches(Section(dom, "shards")).Count);
            // The advice panel (from /advice) names both roles with their current and desired counts.
            Assert.Matches("coordinators: 2 → [0-9]+, workers: 2 → [0-9]+", dom);

            string artifacts = Path.Combine(AppContext.BaseDirectory, "artifacts");
            Directory.CreateDirectory(artifacts);
            string png = Path.Combine(artifacts, "dashboard.png");
            await HeadlessChromium.ScreenshotAsync(url, profile.Path, png, TimeSpan.FromSeconds(5));
            cluster.Log($"screenshot: {png} ({new FileInfo(png).Length} bytes)");
            Assert.True(new FileInfo(png).Length > 10_000, "the screenshot is a rendered page, not an empty image");
            Assert.Empty(load.Problems);
        });

    /// <summary>The text of the element with this id (the page's tiles hold plain text).</summary>
    internal static string Tile(string dom, string id)
    {
        var match = Regex.Match(dom, $"id=\"{id}\"[^>]*>([^<]*)<");
        Assert.True(match.Success, $"no element #{id} in the rendered page:\n{dom[..Math.Min(2000, dom.Length)]}");
        return match.Groups[1].Value.Trim();
    }

    /// <summary>The inner HTML of the tbody with this id.</summary>
    private static string Section(string dom, string id)
    {
        var match = Regex.Match(dom, $"<tbody id=\"{id}\">(.*?)</tbody>", RegexOptions.Singleline);
        Assert.True(match.Success, $"no table body #{id} in the rendered page");
        return match.Groups[1].Value;
    }

    [GeneratedRegex("<tr>")]
    private static partial Regex NodeRow();
}
