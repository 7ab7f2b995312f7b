using System.Net;
using Mosaic.ClusterTests.Cluster;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Elastic;

/// <summary>Issue 7: workers that join take shards, and a drained worker gives all of them up, with no failed query.</summary>
[Collection(SecondClusterCollection.Name)]
public sealed class JoinAndDrainTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    [Fact]
    public Task Workers_that_join_under_load_take_shards_until_balanced_and_no_query_fails() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec { Workers = 1, Coordinators = 2, CoordinatorArgs = Elastic.FastPlacement }, async (cluster, seed) =>
        {
            const string C = "join";
            var vectors = new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 8);
            var docs = ClusterDocs.Make(vectors, "j", 20_000);
            string token = await Elastic.LoadAsync(cluster.Http(0), C, Elastic.Collection(shards: 8, replicas: 1), docs, bulk: 1000);
            await cluster.WaitSettledAsync(C, replicas: 1, TimeSpan.FromSeconds(120));

            await using var load = LiveLoad.Start([cluster.Http(0), cluster.Http(1)], C, docs.Select(d => d.Id), vectors);
            await load.WaitForMoreAsync(20, TimeSpan.FromSeconds(60));
            var joined = new[] { await cluster.AddWorkerAsync(), await cluster.AddWorkerAsync() };
            cluster.Log($"joined {string.Join(", ", joined.Select(j => j.Name))}");

            var balanced = await Elastic.WaitViewAsync(
                cluster,
                C,
                v => v.LiveWorkers.Count == 3 && v.IsSettled(C, 1) && v.HeldByWorker(C).Values.All(n => n is >= 2 and <= 3) && v.ShardImbalance <= 1.5,
                TimeSpan.FromSeconds(150),
                "each of 3 workers holds 2-3 shards, weights within 1.5x");
            await load.WaitForMoreAsync(20, TimeSpan.FromSeconds(60));
            await load.StopAsync();
            cluster.Log($"{load.Searches} searches, {load.Written} docs written during the join; imbalance {balanced.ShardImbalance}\n{balanced.Describe(C)}");

            Elastic.AssertNoProblems(load, "while workers joined");
            Assert.All(joined, j => Assert.NotEmpty(balanced.ShardsOn(C, j.Name)));
            await cluster.WaitReplicasCaughtUpAsync(C, ReplicaProbe.CollectionIdOf(token), load.Acked.Count, TimeSpan.FromSeconds(60));
            Assert.Equal(load.Acked.Count, await cluster.Http(1).DocCountAsync(C));
        });

    [Fact]
    public Task A_drained_worker_ends_holding_nothing_without_a_failed_query_and_gets_work_after_undrain() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec { Workers = 3, Coordinators = 1, CoordinatorArgs = Elastic.FastPlacement }, async (cluster, seed) =>
        {
            const string C = "drain";
            var vectors = new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 6);
            var docs = ClusterDocs.Make(vectors, "d", 400);
            await Elastic.LoadAsync(cluster.Http(0), C, Elastic.Collection(shards: 6, replicas: 2), docs, bulk: 100);
            await cluster.WaitSettledAsync(C, replicas: 2, TimeSpan.FromSeconds(90));

            var victim = cluster.Workers[0];
            var others = cluster.Workers.Skip(1).Select(w => w.Name).ToHashSet();
            await using var load = LiveLoad.Start([cluster.Http(0)], C, docs.Select(d => d.Id), vectors, write: false, exhaustive: true);
            await load.WaitForMoreAsync(10, TimeSpan.FromSeconds(60));

            var r = await cluster.Http(0).PostAsync($"cluster/nodes/{victim.Name}:drain", null);
            r.AssertStatus(HttpStatusCode.Accepted);
            var drained = await Elastic.WaitViewAsync(
                cluster,
                C,
                v => v.Nodes.Single(n => n.Name == victim.Name).State == "draining" && v.ShardsOn(C, victim.Name).Count == 0 && v.IsSettled(C, 2, others),
                TimeSpan.FromSeconds(120),
                $"{victim.Name} drained: it holds nothing, every shard has 2 serving replicas on the others");
            await load.WaitForMoreAsync(10, TimeSpan.FromSeconds(60));
            Elastic.AssertNoProblems(load, "during the drain");
            Assert.Equal(0, drained.Nodes.Single(n => n.Name == victim.Name).ShardsHeld);

            // Unknown nodes are a clear 404, not a silent no-op.
            (await cluster.Http(0).PostAsync("cluster/nodes/127.0.0.1:1:drain", null)).AssertStatus(HttpStatusCode.NotFound);

            (await cluster.Http(0).PostAsync($"cluster/nodes/{victim.Name}:undrain", null)).AssertStatus(HttpStatusCode.Accepted);
            await Elastic.WaitViewAsync(
                cluster,
                C,
                v => v.Nodes.Single(n => n.Name == victim.Name).State == "alive" && v.ShardsOn(C, victim.Name).Count >= 2 && v.IsSettled(C, 2),
                TimeSpan.FromSeconds(120),
                $"{victim.Name} undrained and holding replicas again");
            await load.WaitForMoreAsync(10, TimeSpan.FromSeconds(60));
            await load.StopAsync();
            Elastic.AssertNoProblems(load, "during the drain and undrain");
        });
}
