using System.Diagnostics;
using System.Net;
using Mosaic.ClusterTests.Cluster;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Access;

/// <summary>
/// API keys across coordinators of one PostgreSQL store: the first admin key made offline with <c>--store</c>, a key made
/// on one coordinator works on the other at once, and a key revoked on one stops working there at once and on the other
/// within <c>Mosaic:Auth:KeyCacheTtl</c>.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class KeyRevocationTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    /// <summary>The cache bound the coordinators run with; the revocation must reach the other one within it (plus slack
    /// for a loaded machine: the wait's poll interval and one request).</summary>
    private static readonly TimeSpan KeyCacheTtl = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task RevokedKey_StopsWorkingOnEveryCoordinator_WithinTheCacheBound()
    {
        await using var cluster = await KeyedCoordinators.StartAsync(postgres, output, 2, $"--Mosaic:Auth:KeyCacheTtl={KeyCacheTtl:c}");
        var http = cluster.Http;
        // Made through the second coordinator, used on the first at once (nothing cached a miss for it).
        string reader = (await cluster.CliAsync(["keys", "create", "--role", "read", "--url", cluster.Nodes[1].Url], cluster.Admin)).Stdout.Single();
        foreach (var h in http)
        {
            (await GetAsync(h, reader)).AssertStatus(HttpStatusCode.OK);
            (await GetAsync(h, null)).AssertError(HttpStatusCode.Unauthorized);
        }

        var clock = Stopwatch.StartNew();
        await cluster.CliAsync(["keys", "revoke", reader, "--url", cluster.Nodes[0].Url], cluster.Admin);
        (await GetAsync(http[0], reader)).AssertError(HttpStatusCode.Unauthorized, "revoked");
        await Wait.WaitUntilAsync(
            async () => (await GetAsync(http[1], reader)).StatusCode == 401,
            KeyCacheTtl + TimeSpan.FromSeconds(3),
            "the other coordinator refuses the revoked key within Mosaic:Auth:KeyCacheTtl",
            TimeSpan.FromMilliseconds(50));
        output.WriteLine($"revoked key refused by the other coordinator {clock.ElapsedMilliseconds} ms after the revoke (bound {KeyCacheTtl.TotalMilliseconds} ms)");
        foreach (var h in http)
        {
            (await GetAsync(h, reader)).AssertError(HttpStatusCode.Unauthorized);
            (await GetAsync(h, cluster.Admin)).AssertStatus(HttpStatusCode.OK);
        }
    }

    private static Task<ApiResponse> GetAsync(MosaicHttp http, string? key) =>
        http.SendAsync(HttpMethod.Get, "collections", null, key is null ? null : KeyedCoordinators.Bearer(key));
}
