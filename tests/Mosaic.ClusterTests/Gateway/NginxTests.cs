using System.Net;
using Mosaic.ClusterTests.Cluster;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Gateway;

/// <summary>The shipped <c>deploy/nginx/mosaic.conf</c>, run by Debian's nginx in front of three real coordinators.</summary>
[Collection(SecondClusterCollection.Name)]
public sealed class NginxTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    private const string C = "nginx";

    [Fact]
    public Task A_coordinator_killed_under_search_load_fails_no_search_and_writes_are_never_retried() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec { Workers = 1, Coordinators = 3 }, async (cluster, seed) =>
        {
            var (expected, vectors) = await Gateways.LoadAsync(cluster, seed, C);
            // The template's backup gets a port nothing listens on: nginx must never need it while a primary lives.
            await using var nginx = await NginxServer.StartAsync([.. cluster.Coordinators.Select(c => c.Name), $"127.0.0.1:{FreePort.Next()}"]);
            try
            {
                // 1. kill -9 one of three coordinators under a search load: searches move on to the next upstream.
                using var http = new MosaicHttp(nginx.Url, TimeSpan.FromSeconds(30));
                await using (var load = QueryLoad.Start([http], C, expected, vectors.Take(8), clients: 3, timeoutMs: 5000))
                {
                    await load.WaitForMoreAsync(40, TimeSpan.FromSeconds(60));
                    var victim = cluster.Coordinators[1];
                    victim.Kill();
                    long atKill = load.Completed;
                    cluster.Log($"killed {victim} after {atKill} searches");
                    await load.WaitForMoreAsync(60, TimeSpan.FromSeconds(60));
                    await load.StopAsync();
                    var searches = nginx.AccessLog().Where(l => l.Path.EndsWith("/search", StringComparison.Ordinal)).ToList();
                    cluster.Log($"{load.Completed} searches, {load.Completed - atKill} after the kill; {searches.Count(s => s.Upstreams.Length > 1)} moved on to a second coordinator");
                    Gateways.AssertNoFailedSearch(load);
                    Assert.True(searches.Count(s => s.Upstreams.Length == 1 && s.Upstreams[0] == victim.Name) > 0, "the victim answered no search before the kill, so the kill proved nothing");
                    Assert.Contains(searches, s => s.Upstreams.Length == 2 && s.Upstreams[0] == victim.Name && s.Status == 200);
                }

                // 2. kill -9 another one, then write through nginx: a write sent to a dead coordinator fails (502) and is
                // never sent to a second one; the failed documents do not exist, the acknowledged ones do.
                var second = cluster.Coordinators[2];
                second.Kill();
                cluster.Log($"killed {second}");
                var answers = new List<(string Id, HttpStatusCode Status)>();
                for (int i = 0; i < 9; i++)
                {
                    string id = $"nw-{i}";
                    var r = await http.PutAsync($"collections/{C}/docs/{id}", DocJson.Doc($"{ClusterDocs.CommonWord} nginx write {i}", vectors.Next()));
                    Assert.True(r.Status is HttpStatusCode.OK or HttpStatusCode.BadGateway, r.Describe());
                    answers.Add((id, r.Status));
                }

                // nginx writes a request's access-log line after it has sent the answer, so the last line may lag the client.
                await Wait.WaitUntilAsync(() => nginx.AccessLog().Count(l => l.Method == "PUT") >= answers.Count, TimeSpan.FromSeconds(10), $"nginx logs the {answers.Count} PUTs");
                var puts = nginx.AccessLog().Where(l => l.Method == "PUT").ToList();
                cluster.Log($"writes: {string.Join(", ", answers.Select(a => $"{a.Id} {(int)a.Status}"))}; nginx: {string.Join(", ", puts.Select(p => $"{p.Status} via {string.Join('+', p.Upstreams)}"))}");
                Assert.Equal(answers.Count, puts.Count);
                Assert.All(puts, p => Assert.Single(p.Upstreams));
                Assert.Contains(answers, a => a.Status == HttpStatusCode.BadGateway);
                Assert.All(puts.Where(p => p.Status == 502), p => Assert.NotEqual(cluster.Coordinators[0].Name, p.Upstreams[0]));
                foreach (var (id, status) in answers)
                {
                    var get = await cluster.Http(0).GetAsync($"collections/{C}/docs/{id}");
                    Assert.Equal(status == HttpStatusCode.OK ? HttpStatusCode.OK : HttpStatusCode.NotFound, get.Status);
                }
            }
            catch (Exception ex)
            {
                throw new InvalidOperationException($"{ex.Message}\n--- nginx error log (tail)\n{string.Join('\n', nginx.ErrorLog().Split('\n').TakeLast(30))}", ex);
            }
        });
}
