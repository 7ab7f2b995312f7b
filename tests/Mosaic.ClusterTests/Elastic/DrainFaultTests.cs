using System.Net;
using Mosaic.ClusterTests.Cluster;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Elastic;

/// <summary>
/// A drain outlives its faults: the only coordinator (the placement leader) killed -9 and restarted right after the
/// request, and the worker the first replacement builds on killed -9 mid-move. It finishes on the survivor with every
/// document, and a split started meanwhile completes too.
/// </summary>
[Collection(SecondClusterCollection.Name)]
public sealed class DrainFaultTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    private const string C = "faulty";

    [Fact]
    public Task A_drain_finishes_through_a_leader_restart_and_its_target_killed_mid_move_and_a_split_meanwhile() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec { Workers = 3, Coordinators = 1, CoordinatorArgs = Elastic.FastPlacement }, async (cluster, seed) =>
        {
            var http = cluster.Http();
            var vectors = new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 4);
            var docs = ClusterDocs.Make(vectors, "df", 1000); // top_k reaches 1000: a search can list them all
            string token = await Elastic.LoadAsync(http, C, Elastic.Collection(shards: 4, replicas: 1), docs, bulk: 500);
            var settled = await cluster.WaitSettledAsync(C, replicas: 1, TimeSpan.FromSeconds(90));
            var victim = cluster.Workers.OrderByDescending(w => settled.ShardsOn(C, w.Name).Count).First();
            var others = cluster.Workers.Where(w => w != victim).ToList();

            (await http.PostAsync($"cluster/nodes/{victim.Name}:drain", null)).AssertStatus(HttpStatusCode.Accepted);
            var leader = cluster.Coordinators[0];
            leader.Kill();
            cluster.Log("killed the placement leader right after the drain request");
            await leader.StartAsync(TimeSpan.FromSeconds(60));

            // The first worker a replacement lands on dies with it, building or just built.
            ClusterNode? target = null;
            await Wait.WaitUntilAsync(
                async () =>
                {
                    var view = await cluster.ViewAsync();
                    target = others.FirstOrDefault(w => view.ShardsOn(C, w.Name).Count > settled.ShardsOn(C, w.Name).Count);
                    return target is not null;
                },
                TimeSpan.FromSeconds(60),
                "a replacement assigned to another worker",
                TimeSpan.FromMilliseconds(50));
            target!.Kill();
            cluster.Log($"killed {target} mid-move");
            var survivor = others.Single(w => w != target);

            // A split while the drain goes on.
            int parent = settled.Collection(C).Shards[0].Shard;
            (await http.PostAsync($"collections/{C}/shards/{parent}:split", null)).AssertStatus(HttpStatusCode.Accepted);

            await Elastic.WaitViewAsync(
                cluster,
                C,
                v => v.Nodes.Single(n => n.Name == victim.Name).Drain?.State == "done" && v.Collection(C).Shards.Count == 5
                    && v.IsSettled(C, 1, new HashSet<string> { survivor.Name }),
                TimeSpan.FromSeconds(120),
                $"{victim.Name} drained onto {survivor.Name} alone, the split done");
            await cluster.WaitReplicasCaughtUpAsync(C, ReplicaProbe.CollectionIdOf(token), docs.Count, TimeSpan.FromSeconds(60));
            Assert.Null(await ClusterDocs.IncompletenessAsync(http, C, ClusterDocs.KeywordAll(docs.Count, 10_000, allowPartial: false), docs.Select(d => d.Id).ToHashSet()));
        });
}
