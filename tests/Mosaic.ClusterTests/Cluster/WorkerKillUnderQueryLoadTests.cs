using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Cluster;

/// <summary>Scenario 2: kill -9 a worker under a steady query load; no answer degrades and placement heals the cluster.</summary>
[Collection(ClusterCollection.Name)]
public sealed class WorkerKillUnderQueryLoadTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    private const string C = "killload";

    [Fact]
    public Task Queries_stay_complete_while_a_worker_dies_and_placement_rebuilds_its_replicas() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec { Workers = 3, Coordinators = 2 }, async (cluster, seed) =>
        {
            var vectors = new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 6);
            var docs = ClusterDocs.Make(vectors, "kl", 300);
            string token = await ClusterDocs.CreateAndLoadAsync(cluster.Http(0), C, ClusterDocs.Collection(shards: 8, replicas: 2), docs);
            await cluster.WaitSettledAsync(C, replicas: 2, TimeSpan.FromSeconds(60));
            var expected = docs.Select(d => d.Id).ToHashSet();
            await Wait.WaitUntilAsync(async () => await cluster.Http(0).DocCountAsync(C) == docs.Count, TimeSpan.FromSeconds(30), $"doc_count == {docs.Count}");

            var victim = cluster.Workers[1];
            var survivors = cluster.Workers.Where(w => w != victim).Select(w => w.Name).ToHashSet();
            await using var load = QueryLoad.Start([cluster.Http(0), cluster.Http(1)], C, expected, vectors.Take(16), clients: 2, timeoutMs: 5000);
            await load.WaitForMoreAsync(40, TimeSpan.FromSeconds(60));
            long beforeKill = load.Completed;

            victim.Kill();
            cluster.Log($"killed {victim} after {beforeKill} searches");

            // Placement notices the expired lease and re-creates the lost replicas on the two survivors; the load goes on.
            var settled = await cluster.WaitSettledAsync(C, replicas: 2, TimeSpan.FromSeconds(90), allowedWorkers: survivors);
            await load.WaitForMoreAsync(40, TimeSpan.FromSeconds(60));
            await load.StopAsync();
            long afterKill = load.Completed - beforeKill;
            cluster.Log($"{load.Completed} searches, {afterKill} after the kill; /cluster:\n{settled.Describe(C)}");

            Assert.True(load.Problems.Count == 0, $"{load.Problems.Count} of {load.Completed} searches were not complete:\n{string.Join('\n', load.Problems.Take(20))}");
            Assert.True(afterKill >= 40, $"only {afterKill} searches ran after the kill");

            // /cluster: every shard on both survivors, the dead node expired or gone and holding nothing.
            var dead = settled.Nodes.FirstOrDefault(n => n.Name == victim.Name);
            Assert.True(dead is null || dead.State == "dead", $"{victim.Name} should be dead or gone: {settled.Describe(C)}");
            Assert.All(settled.Collection(C).Shards, s => Assert.Equal(survivors.Order(), s.Replicas.Select(r => r.Node).Order()));

            // Every replica, old and rebuilt, holds every document (asked directly, not through a coordinator's choice).
            await cluster.WaitReplicasCaughtUpAsync(C, ReplicaProbe.CollectionIdOf(token), docs.Count, TimeSpan.FromSeconds(30));

            // And through both coordinators, the answers are complete.
            foreach (var http in new[] { cluster.Http(0), cluster.Http(1) })
            {
                Assert.Null(await ClusterDocs.IncompletenessAsync(http, C, ClusterDocs.KeywordAll(expected.Count, 5000), expected));
                Assert.Equal(docs.Count, await http.DocCountAsync(C));
            }
        });
}
