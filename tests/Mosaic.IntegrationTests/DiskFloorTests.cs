using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;

namespace Mosaic.IntegrationTests;

/// <summary>
/// The data disk floor of an embedded server: bad settings stop the start naming them; a disk below the floor is shown
/// (/cluster, /dashboard/data, <c>mosaic status</c>) and advised on, and, the one node being every node, its shards are
/// still placed and answer.
/// </summary>
public sealed class DiskFloorTests
{
    [Fact]
    public async Task A_negative_floor_and_a_fraction_past_one_stop_the_start_naming_both()
    {
        var ex = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => MosaicServer.StartAsync(new Dictionary<string, string?>
        {
            ["Mosaic:Worker:DiskFloorBytes"] = "-1",
            ["Mosaic:Worker:DiskFloorFraction"] = "1.5",
        }));
        Assert.Contains("Mosaic:Worker:DiskFloorBytes must be 0 (off) or more, got -1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Mosaic:Worker:DiskFloorFraction must be at least 0 (off) and below 1, got 1.5", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_whose_only_disk_is_below_its_floor_still_places_its_shards_shows_it_and_advises_disk()
    {
        // 1 PiB: more than this machine's disk has free, so the one node is low on disk for real.
        await using var server = await MosaicServer.StartAsync(new Dictionary<string, string?>
        {
            ["Mosaic:Worker:DiskFloorBytes"] = (1L << 50).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Mosaic:Observability:SampleInterval"] = "00:00:01",
        });
        var http = server.Http;
        await http.CreateCollectionAsync("full", new JsonObject { ["dimension"] = 0, ["shards"] = 3 });
        string token = await http.UpsertAsync("full", "d1", new JsonObject { ["text"] = "amber lantern" });
        var answer = await http.SearchAsync("full", new JsonObject { ["mode"] = "keyword", ["query"] = "lantern", ["consistency"] = new JsonObject { ["after"] = token } });
        Assert.Equal(["d1"], MosaicHttp.HitIds(answer));

        var node = (JsonObject)(await http.GetAsync("cluster")).AssertStatus(HttpStatusCode.OK).Object["nodes"]!.AsArray().Single()!;
        Assert.True((bool)node["disk_low"]!, node.ToJsonString());
        Assert.Equal(1L << 50, (long)node["disk_floor_bytes"]!);
        Assert.Equal(new DriveInfo(server.DataDir).TotalSize, (long)node["disk_total_bytes"]!);

        // The dashboard lists nodes from the sampler's latest pass (every second here): the first may not have run yet.
        JsonNode? dashboardNode = null;
        await Wait.WaitUntilAsync(
            async () =>
            {
                dashboardNode = (await http.GetAsync("dashboard/data")).AssertStatus(HttpStatusCode.OK).Object["nodes"]!.AsArray().SingleOrDefault();
                return dashboardNode is not null;
            },
            TimeSpan.FromSeconds(30),
            "the dashboard lists the node");
        Assert.True((bool)dashboardNode!["disk_low"]!, dashboardNode.ToJsonString());
        var status = await CliRun.RunAsync(["status", "--url", server.BaseUrl], server.Dir.Combine("status.log"), TimeSpan.FromSeconds(60));
        Assert.True(status.ExitCode == 0, status.Describe());
        Assert.Contains("LOW", status.Output, StringComparison.Ordinal);

        string reason = "";
        await Wait.WaitUntilAsync(
            async () =>
            {
                var add = (await http.GetAsync("advice")).Object["recommendations"]!.AsArray().FirstOrDefault(r => (string)r!["action"]! == "add_disk");
                reason = (string?)add?["reason"] ?? "";
                return add is not null;
            },
            TimeSpan.FromSeconds(30),
            "advice to add disk");
        Assert.Contains("worker local has ", reason, StringComparison.Ordinal);
        Assert.Contains("every worker is below its floor, so placement still places replicas on them", reason, StringComparison.Ordinal);
    }
}
