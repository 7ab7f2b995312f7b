using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.IntegrationTests.Access;

/// <summary>
/// The L2 result cache and the shared rate limits on a real 3-master Redis Cluster (<c>redis-server --cluster-enabled yes</c>,
/// <c>redis-cli --cluster create</c>): answers land in the cluster, a key's bucket is one hash-tagged key on one master,
/// and a master killed under search load fails no search and no limited request.
/// </summary>
public sealed class RedisClusterTests(ITestOutputHelper output) : IAsyncLifetime
{
    private RedisCluster _redis = null!;
    private MosaicServer _server = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisCluster.StartAsync();
        _server = await MosaicServer.StartAsync(new Dictionary<string, string?>
        {
            ["Mosaic:Redis"] = _redis.ConnectionString,
            ["Mosaic:Auth:Enabled"] = "true",
            ["Mosaic:RateLimits:BurstSeconds"] = "60",
        });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task CacheAndLimits_WorkOnTheCluster_AndAKilledMasterFailsNoSearch()
    {
        using var dir = new TempDirectory("mosaic-redis-cluster");
        using var http = new MosaicHttp(_server.BaseUrl, TimeSpan.FromSeconds(30), await OfflineKeys.CreateAsync(_server.DataDir, dir));
        var c = Names.Unique("rcluster");
        await http.CreateCollectionAsync(c, new { dimension = 0, shards = 2 });
        await http.BulkOkAsync(c, [MosaicHttp.Line(new { id = "d1", text = "amber lantern" }), MosaicHttp.Line(new { id = "d2", text = "green lantern" })]);

        // Cache: a repeat is a hit, and answers are written to the cluster (L2 writes are bounded, so poll with fresh ones).
        var search = new JsonObject { ["mode"] = "keyword", ["query"] = "lantern" };
        await http.SearchAsync(c, search);
        Assert.True((await http.SearchAsync(c, search))["cached"]!.GetValue<bool>());
        int poll = 0;
        await Wait.WaitUntilAsync(
            async () =>
            {
                await http.SearchAsync(c, new JsonObject { ["mode"] = "keyword", ["query"] = $"probe{poll++}" });
                return await _redis.KeyCountAsync() >= 1;
            },
            TimeSpan.FromSeconds(30),
            "an answer written to the Redis Cluster (L2)");

        // Limits: exactly the bucket (6 at one request per 10 s with a 60 s bucket), kept in one hash-tagged key on one master.
        var (limited, id) = await NewLimitedKeyAsync(http);
        var statuses = await BurstAsync(limited);
        Assert.Equal(6, statuses.Count(s => s == 200));
        Assert.Equal(4, statuses.Count(s => s == 429));
        Assert.Single(await _redis.HoldersAsync($"mosaic:rl:{{{id}}}"));

        // A master killed under load: no search fails, and a limited key gets answers or 429s, never an error.
        var load = SearchLoad.Start(http, c, "lantern");
        await load.MoreAsync(100);
        await _redis.Masters[0].KillAsync();
        output.WriteLine($"killed master {_redis.Masters[0].ConnectionString} after {load.Answered} searches");
        await load.MoreAsync(300);
        var (afterKill, _) = await NewLimitedKeyAsync(http);
        var degraded = await BurstAsync(afterKill);
        await load.MoreAsync(100);
        var failures = await load.StopAsync();
        output.WriteLine($"{load.Answered} searches; limited burst after the kill: {string.Join(",", degraded)}");
        Assert.Empty(failures);
        Assert.All(degraded, s => Assert.True(s is 200 or 429, $"a limited request answered {s}"));
        Assert.Contains(200, degraded);
    }

    private static async Task<(string Key, string Id)> NewLimitedKeyAsync(MosaicHttp http)
    {
        var created = (await http.PostAsync("keys", new { role = "read", rate = 0.1 })).AssertStatus(HttpStatusCode.Created).Object;
        return (created["key"]!.GetValue<string>(), created["id"]!.GetValue<string>());
    }

    private async Task<int[]> BurstAsync(string key)
    {
        using var limited = new MosaicHttp(_server.BaseUrl, TimeSpan.FromSeconds(30), key);
        return await Task.WhenAll(Enumerable.Range(0, 10).Select(async _ => (await limited.GetAsync("collections")).StatusCode));
    }
}
