using System.Diagnostics;
using System.Globalization;
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
        string store = await postgres.NewDatabaseAsync();
        using var dir = new TempDirectory("mosaic-keys-cluster");
        string admin = (await CliAsync(dir, ["keys", "create", "--role", "admin", "--store", store])).Stdout.Single();
        var coordinators = new List<ClusterNode>();
        try
        {
            for (int i = 1; i <= 2; i++)
            {
                int port = FreePort.Next();
                var node = new ClusterNode("coordinator", i, port, null, dir.Path,
                [
                    "coordinator", "--store", store, "--port", port.ToString(CultureInfo.InvariantCulture),
                    "--Mosaic:Auth:Enabled=true", $"--Mosaic:Auth:KeyCacheTtl={KeyCacheTtl:c}",
                ]);
                coordinators.Add(node);
                await node.StartAsync(TimeSpan.FromSeconds(60));
            }

            var http = coordinators.Select(c => new MosaicHttp(c.Url, TimeSpan.FromSeconds(30))).ToArray();
            // Made through the second coordinator, used on the first at once (nothing cached a miss for it).
            string reader = (await CliAsync(dir, ["keys", "create", "--role", "read", "--url", coordinators[1].Url], admin)).Stdout.Single();
            foreach (var h in http)
            {
                (await GetAsync(h, reader)).AssertStatus(HttpStatusCode.OK);
                (await GetAsync(h, null)).AssertError(HttpStatusCode.Unauthorized);
            }

            var clock = Stopwatch.StartNew();
            await CliAsync(dir, ["keys", "revoke", reader, "--url", coordinators[0].Url], admin);
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
                (await GetAsync(h, admin)).AssertStatus(HttpStatusCode.OK);
                h.Dispose();
            }
        }
        finally
        {
            foreach (var node in coordinators)
            {
                await node.DisposeAsync();
            }
        }
    }

    private static Task<ApiResponse> GetAsync(MosaicHttp http, string? key) =>
        http.SendAsync(HttpMethod.Get, "collections", null, key is null ? null : new Dictionary<string, string> { ["Authorization"] = $"Bearer {key}" });

    private async Task<CliResult> CliAsync(TempDirectory dir, string[] args, string? key = null)
    {
        var result = await CliRun.RunAsync(args, dir.Combine($"cli-{Guid.NewGuid():N}.log"), TimeSpan.FromSeconds(60), key is null ? null : new Dictionary<string, string> { ["MOSAIC_API_KEY"] = key });
        output.WriteLine(result.Describe());
        Assert.True(result.ExitCode == 0, result.Describe());
        return result;
    }
}
