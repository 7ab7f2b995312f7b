using System.Net;
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
        await using var redis = await RedisServer.StartAsync();
        // Redis gets 2 s instead of 100 ms before a coordinator falls back to its local bucket: on a loaded box the first
        // calls (connection, script load, JIT) took longer, each coordinator counted alone, and the burst got 12, not 6.
        await using var cluster = await KeyedCoordinators.StartAsync(
            postgres, output, 2, "--redis", redis.ConnectionString, "--Mosaic:RateLimits:BurstSeconds=60", "--Mosaic:RateLimits:RedisTimeout=00:00:02");
        try
        {
            var shared = await BurstAsync(cluster.Http, await NewKeyAsync(cluster.Http[0], cluster.Admin));
            output.WriteLine($"with Redis: {Describe(shared)}");
            Assert.Equal(6, shared.Count(s => s == 200));
            Assert.Equal(14, shared.Count(s => s == 429));

            await redis.KillAsync();
            var local = await BurstAsync(cluster.Http, await NewKeyAsync(cluster.Http[1], cluster.Admin));
            output.WriteLine($"Redis killed: {Describe(local)}");
            Assert.Equal(12, local.Count(s => s == 200));
            Assert.Equal(8, local.Count(s => s == 429));
        }
        catch
        {
            cluster.DumpLogs();
            throw;
        }
    }

    private static async Task<string> NewKeyAsync(MosaicHttp http, string admin)
    {
        var created = await http.SendAsync(HttpMethod.Post, "keys", new { role = "read", rate = 0.1 }, KeyedCoordinators.Bearer(admin));
        created.AssertStatus(HttpStatusCode.Created);
        return created.Object["key"]!.GetValue<string>();
    }

    /// <summary>Ten requests to each coordinator at once; their status codes.</summary>
    private static async Task<int[]> BurstAsync(IReadOnlyList<MosaicHttp> http, string key) =>
        await Task.WhenAll(Enumerable.Range(0, 20).Select(async i => (await http[i % 2].SendAsync(HttpMethod.Get, "collections", null, KeyedCoordinators.Bearer(key))).StatusCode));

    private static string Describe(int[] statuses) => string.Join(", ", statuses.GroupBy(s => s).Select(g => $"{g.Count()}× {g.Key}"));
}
