using System.Net;
using Mosaic.ClusterTests.Cluster;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Gateway;

/// <summary>
/// A gateway that finds its coordinators in the store: one write coordinator and two read coordinators
/// (<c>--serves</c>), writes routed to the writer, reads to the readers, and one reader killed under search load.
/// </summary>
/// <remarks>Each answer names its coordinator in the Mosaic-Node header; the test counts those, not the gateway's own word.</remarks>
[Collection(SecondClusterCollection.Name)]
public sealed class GatewayStoreTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    private const string C = "gwstore";

    [Fact]
    public Task Writes_reach_the_writer_reads_the_readers_and_a_reader_killed_under_search_load_fails_no_search() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec { Workers = 1, Coordinators = 3, CoordinatorArgsAt = i => ["--serves", i == 0 ? "write" : "read"] }, async (cluster, seed) =>
        {
            var (writer, readers) = (cluster.Coordinators[0], cluster.Coordinators.Skip(1).ToList());
            var (expected, vectors) = await Gateways.LoadAsync(cluster, seed, C, readers: [1, 2]);
            var gateway = await Gateways.StartAsync(cluster, ["--store", cluster.Store, "--policy", "RoundRobin", .. Gateways.FastHealth]);
            await Wait.WaitUntilAsync(async () => (await Gateways.MetricsAsync(gateway)).Up.Count(u => u.Value) == 3, TimeSpan.FromSeconds(30), "the gateway routes to all 3 coordinators");

            // The split: every write on the writer, every read on the readers.
            var writes = await Gateways.AnsweringNodesAsync(gateway.Url, 12, () => new HttpRequestMessage(HttpMethod.Put, $"collections/{C}/docs/w-{Guid.NewGuid():N}")
            {
                Content = new StringContent(DocJson.Doc($"{ClusterDocs.CommonWord} written through the gateway", vectors.Next()).ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
            });
            cluster.Log($"writes: {Gateways.Describe(writes)}");
            Assert.Equal(new[] { writer.Name }, writes.Keys);
            var reads = await Gateways.AnsweringNodesAsync(gateway.Url, 12, Gateways.Search(C, expected.Count));
            cluster.Log($"searches: {Gateways.Describe(reads)}");
            Assert.Equal(readers.Select(r => r.Name).Order(), reads.Keys.Order());
            var gets = await Gateways.AnsweringNodesAsync(gateway.Url, 4, () => new HttpRequestMessage(HttpMethod.Get, $"collections/{C}"));
            Assert.Subset(readers.Select(r => r.Name).ToHashSet(), gets.Keys.ToHashSet());

            // Straight to the wrong kind of coordinator: 421 with the API's error body, and nothing written.
            var wrongWrite = await cluster.Http(1).PutAsync($"collections/{C}/docs/refused", DocJson.Doc("refused", vectors.Next()));
            Assert.Equal(HttpStatusCode.MisdirectedRequest, wrongWrite.Status);
            Assert.Equal("misdirected", wrongWrite.Object["error"]?.GetValue<string>());
            Assert.Contains("serves reads only", wrongWrite.Object["detail"]?.GetValue<string>(), StringComparison.Ordinal);
            var wrongRead = await cluster.Http(0).PostAsync($"collections/{C}/search", ClusterDocs.KeywordAll(10, 5000));
            Assert.Equal(HttpStatusCode.MisdirectedRequest, wrongRead.Status);
            Assert.Contains("serves writes only", wrongRead.Object["detail"]?.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.NotFound, (await cluster.Http(2).GetAsync($"collections/{C}/docs/refused")).Status);
            Assert.Equal(HttpStatusCode.OK, (await cluster.Http(0).GetAsync("health")).Status);

            // kill -9 one of the three coordinators (a reader) under a search load through the gateway.
            using var http = new MosaicHttp(gateway.Url, TimeSpan.FromSeconds(30));
            var expectedNow = (await AllIdsAsync(cluster, expected.Count + writes.Values.Sum())).ToHashSet();
            await using var load = QueryLoad.Start([http], C, expectedNow, vectors.Take(8), clients: 3, timeoutMs: 5000);
            await load.WaitForMoreAsync(40, TimeSpan.FromSeconds(60));
            var victim = readers[0];
            long before = (await Gateways.MetricsAsync(gateway)).Attempts(victim);
            victim.Kill();
            long atKill = load.Completed;
            cluster.Log($"killed {victim} after {atKill} searches ({before} attempts went to it)");

            // The store drops the dead coordinator once its lease runs out; the load goes on throughout.
            await Wait.WaitUntilAsync(async () => !(await Gateways.MetricsAsync(gateway)).Up.ContainsKey(victim.Url), TimeSpan.FromSeconds(30), $"the gateway forgets {victim}");
            await load.WaitForMoreAsync(40, TimeSpan.FromSeconds(60));
            await load.StopAsync();
            var metrics = await Gateways.MetricsAsync(gateway);
            cluster.Log($"{load.Completed} searches, {load.Completed - atKill} after the kill; gateway metrics:\n{metrics.Text}");
            Assert.True(before > 0, $"the victim got no searches before the kill, so the kill proved nothing:\n{metrics.Text}");
            Gateways.AssertNoFailedSearch(load);
            Assert.True(load.Completed - atKill >= 40, $"only {load.Completed - atKill} searches ran after the kill");
        });

    /// <summary>Every id the collection holds, once the readers see <paramref name="count"/> documents.</summary>
    private static async Task<IReadOnlyList<string>> AllIdsAsync(ClusterHarness cluster, int count)
    {
        IReadOnlyList<string> ids = [];
        await Wait.WaitUntilAsync(
            async () =>
            {
                var r = await cluster.Http(1).PostAsync($"collections/{C}/search", ClusterDocs.KeywordAll(count + 10, 5000));
                ids = r.StatusCode == 200 ? MosaicHttp.HitIds(r.Object) : [];
                return ids.Count == count;
            },
            TimeSpan.FromSeconds(30),
            $"{count} documents searchable");
        return ids;
    }
}
