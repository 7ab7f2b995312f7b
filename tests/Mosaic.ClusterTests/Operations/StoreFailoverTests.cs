using System.Collections.Concurrent;
using System.Net;
using Mosaic.ClusterTests.Cluster;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Operations;

/// <summary>
/// Store failover with real PostgreSQL: a primary and a synchronous streaming standby (pg_basebackup -R), a cluster whose
/// store is the multi-host string of both. The primary is killed with SIGKILL under a write load and the standby promoted:
/// writes resume through the same connection string, no acknowledged write is lost, and searches keep answering
/// complete throughout (workers serve from their replicas while no store answers).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class StoreFailoverTests(ITestOutputHelper output)
{
    private const string Searched = "steady";
    private const string Written = "written";

    [Fact]
    public async Task Killing_the_primary_and_promoting_its_synchronous_standby_loses_no_acknowledged_write()
    {
        await using var primary = await PostgresServer.StartAsync();
        await using var standby = await primary.StartStandbyAsync();
        // Synchronous commit: a commit is acknowledged only once the standby has it, so promotion loses none.
        await primary.QueryAsync("ALTER SYSTEM SET synchronous_standby_names = '*'");
        await primary.QueryAsync("SELECT pg_reload_conf()");
        await Wait.WaitUntilAsync(
            async () => (await primary.QueryAsync("SELECT sync_state FROM pg_stat_replication")).Trim() == "sync",
            TimeSpan.FromSeconds(60),
            "the standby streams and is synchronous (pg_stat_replication.sync_state = sync)");
        string store = $"Host=127.0.0.1:{primary.Port},127.0.0.1:{standby.Port};Username=postgres;Database={PostgresServer.DefaultDatabase}";

        // A lease far longer than the outage: nodes that cannot renew while no store answers must not be declared dead.
        var spec = new ClusterSpec { Workers = 2, Coordinators = 1, NodeLease = TimeSpan.FromSeconds(60) };
        await ClusterHarness.RunAsync(store, output, spec, async (cluster, seed) =>
        {
            var http = cluster.Http();
            var vectors = new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 4);
            var steady = ClusterDocs.Make(vectors, "st", 80);
            await ClusterDocs.CreateAndLoadAsync(http, Searched, ClusterDocs.Collection(shards: 2, replicas: 2), steady);
            await http.CreateCollectionAsync(Written, ClusterDocs.Collection(shards: 2, replicas: 1));
            await cluster.WaitSettledAsync(Searched, replicas: 2, TimeSpan.FromSeconds(60));
            await cluster.WaitSettledAsync(Written, replicas: 1, TimeSpan.FromSeconds(60));
            await Wait.WaitUntilAsync(async () => await http.DocCountAsync(Searched) == steady.Count, TimeSpan.FromSeconds(30), $"doc_count of {Searched} == {steady.Count}");

            // Searches on a collection nobody writes must stay complete; writes go to another one, every id tried once.
            await using var searches = QueryLoad.Start([http], Searched, steady.Select(d => d.Id).ToHashSet(), vectors.Take(8), clients: 2, timeoutMs: 5000);
            var docs = ClusterDocs.Make(vectors, "fo", 800);
            var acknowledged = new ConcurrentDictionary<string, TestDoc>(StringComparer.Ordinal);
            long refused = 0;
            var refusals = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
            int next = -1;
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    int i = Interlocked.Increment(ref next);
                    if (i >= docs.Count)
                    {
                        return;
                    }

                    try
                    {
                        var r = await http.PutAsync($"collections/{Written}/docs/{docs[i].Id}", docs[i].Body());
                        if (r.Status == HttpStatusCode.OK)
                        {
                            acknowledged[docs[i].Id] = docs[i];
                            continue;
                        }

                        refusals.AddOrUpdate($"{r.StatusCode} {r.Json?["error"]}", 1, (_, n) => n + 1);
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                    {
                        // No answer: not acknowledged.
                        refusals.AddOrUpdate(ex.GetType().Name, 1, (_, n) => n + 1);
                    }

                    // Not acknowledged (503 store_unavailable, 500, no answer): the write may or may not have committed.
                    Interlocked.Increment(ref refused);
                    await Task.Delay(50);
                }
            })).ToList();

            await Wait.WaitUntilAsync(() => acknowledged.Count >= 60 || writers.Any(w => w.IsCompleted), TimeSpan.FromSeconds(60), "60 writes acknowledged before the kill");
            long searchesBeforeKill = searches.Completed;
            await primary.KillAsync();
            cluster.Log($"killed the primary (kill -9) after {acknowledged.Count} acknowledged writes");
            await Wait.WaitUntilAsync(() => Interlocked.Read(ref refused) > 0, TimeSpan.FromSeconds(30), "a write refused while no primary runs");
            await searches.WaitForMoreAsync(10, TimeSpan.FromSeconds(60));
            await standby.PromoteAsync();
            int atPromotion = acknowledged.Count;
            cluster.Log($"promoted the standby; {atPromotion} acknowledged, {Interlocked.Read(ref refused)} refused so far");
            await Wait.WaitUntilAsync(() => acknowledged.Count >= atPromotion + 60 || writers.All(w => w.IsCompleted), TimeSpan.FromSeconds(90), "writes resume through the same connection string (60 more acknowledged)");
            await searches.WaitForMoreAsync(10, TimeSpan.FromSeconds(60));
            await stop.CancelAsync();
            await Task.WhenAll(writers);
            await searches.StopAsync();
            cluster.Log($"{acknowledged.Count} acknowledged, {refused} refused ({string.Join(", ", refusals.Select(r => $"{r.Key}: {r.Value}"))}); {searches.Completed} searches, {searchesBeforeKill} before the kill");

            Assert.True(acknowledged.Count >= atPromotion + 60, $"writes did not resume after the promotion: {acknowledged.Count} acknowledged, {atPromotion} at the promotion");
            // A write the store could not take is the service's own failure, answered 503 store_unavailable (retry later), never 500.
            Assert.True(refusals.Keys.All(k => k.StartsWith("503 store_unavailable", StringComparison.Ordinal)), $"refused writes: {string.Join(", ", refusals)}");
            Assert.True(searches.Problems.Count == 0, $"{searches.Problems.Count} of {searches.Completed} searches were not complete:\n{string.Join('\n', searches.Problems.Take(10))}");
            Assert.True(searches.Completed > searchesBeforeKill + 20, $"searches did not keep answering: {searches.Completed} in all, {searchesBeforeKill} before the kill");

            // Nothing acknowledged is lost: every one is in the promoted store, and found by search once workers catch up.
            var lost = new ConcurrentBag<string>();
            await Parallel.ForEachAsync(acknowledged.Values, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (d, _) =>
            {
                var get = await http.GetAsync($"collections/{Written}/docs/{d.Id}");
                if (get.Status != HttpStatusCode.OK || get.Object["text"]?.GetValue<string>() != d.Text)
                {
                    lost.Add(get.Describe());
                }
            });
            Assert.True(lost.IsEmpty, $"{lost.Count} of {acknowledged.Count} acknowledged writes are gone after the failover:\n{string.Join('\n', lost.Take(10))}");
            var expected = acknowledged.Keys.ToHashSet(StringComparer.Ordinal);
            // Writes refused by the coordinator may still have committed: the search must hold every acknowledged one, maybe more.
            int found = 0;
            await Wait.WaitUntilAsync(
                async () => (found = MosaicHttp.HitIds(await http.SearchAsync(Written, ClusterDocs.KeywordAll(1000, 10_000))).Count(expected.Contains)) == expected.Count,
                TimeSpan.FromSeconds(60),
                $"a keyword search finds all {expected.Count} acknowledged writes (found {found})");
        });
    }
}
