using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Mosaic.ClusterTests.Cluster;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Access;

/// <summary>
/// One key's rate limit shared by two coordinators through a real redis-server: a burst sent to both gets exactly one
/// bucket's worth in all; with Redis killed, no request fails and each coordinator limits on its own.
/// </summary>
/// <remarks>The key's rate is one request per 10 s with a 60 s bucket (6 requests): a burst sent in under 10 s gets an
/// exact count however loaded the machine.</remarks>
[Collection(ClusterCollection.Name)]
public sealed class SharedRateLimitTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    [Fact]
    public async Task Burst_ThroughTwoCoordinators_GetsOneSharedBucket_AndRedisDownFallsBackToLocalLimits()
    {
        string store = await postgres.NewDatabaseAsync();
        using var dir = new TempDirectory("mosaic-rate-cluster");
        await using var redis = await RedisServer.StartAsync();
        var cli = await CliRun.RunAsync(["keys", "create", "--role", "admin", "--store", store], dir.Combine("cli.log"), TimeSpan.FromSeconds(60));
        Assert.True(cli.ExitCode == 0, cli.Describe());
        string admin = cli.Stdout.Single();
        var coordinators = new List<ClusterNode>();
        try
        {
            for (int i = 1; i <= 2; i++)
            {
                int port = FreePort.Next();
                var node = new ClusterNode("coordinator", i, port, null, dir.Path,
                [
                    "coordinator", "--store", store, "--port", port.ToString(CultureInfo.InvariantCulture), "--redis", redis.ConnectionString,
                    "--Mosaic:Auth:Enabled=true", "--Mosaic:RateLimits:BurstSeconds=60",
                ]);
                coordinators.Add(node);
                await node.StartAsync(TimeSpan.FromSeconds(60));
            }

            var http = coordinators.Select(c => new MosaicHttp(c.Url, TimeSpan.FromSeconds(30))).ToArray();
            var shared = await BurstAsync(http, await NewKeyAsync(http[0], admin));
            output.WriteLine($"with Redis: {Describe(shared)}");
            Assert.Equal(6, shared.Count(s => s == 200));
            Assert.Equal(14, shared.Count(s => s == 429));

            await redis.KillAsync();
            var local = await BurstAsync(http, await NewKeyAsync(http[1], admin));
            output.WriteLine($"Redis killed: {Describe(local)}");
            Assert.Equal(12, local.Count(s => s == 200));
            Assert.Equal(8, local.Count(s => s == 429));
            foreach (var h in http)
            {
                h.Dispose();
            }
        }
        catch (Exception) when (Dump(coordinators))
        {
            throw;
        }
        finally
        {
            foreach (var node in coordinators)
            {
                await node.DisposeAsync();
            }
        }
    }

    private bool Dump(IEnumerable<ClusterNode> nodes)
    {
        foreach (var node in nodes)
        {
            output.WriteLine($"--- {node} log tail\n{node.LogTail(30)}");
        }

        return false;
    }

    private static async Task<string> NewKeyAsync(MosaicHttp http, string admin)
    {
        var created = await http.SendAsync(HttpMethod.Post, "keys", new { role = "read", rate = 0.1 }, Bearer(admin));
        created.AssertStatus(HttpStatusCode.Created);
        return created.Object["key"]!.GetValue<string>();
    }

    /// <summary>Ten requests to each coordinator at once; their status codes.</summary>
    private static async Task<int[]> BurstAsync(MosaicHttp[] http, string key) =>
        await Task.WhenAll(Enumerable.Range(0, 20).Select(async i => (await http[i % 2].SendAsync(HttpMethod.Get, "collections", null, Bearer(key))).StatusCode));

    private static string Describe(int[] statuses) => string.Join(", ", statuses.GroupBy(s => s).Select(g => $"{g.Count()}× {g.Key}"));

    private static Dictionary<string, string> Bearer(string key) => new() { ["Authorization"] = $"Bearer {key}" };
}
