using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Client;
using Mosaic.ClusterTests.Cluster;
using Mosaic.Core.Consistency;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Elastic;

/// <summary>
/// A live collection's replica count changed with PATCH /collections/{name} while writes and exhaustive searches go on:
/// raised, the leader builds the new replicas (catching up from the store before they serve), past the workers it
/// places what it can and says what it lacks (/cluster, /advice, `mosaic status`) until a worker joins; lowered, it
/// drains the surplus, and a drain held on the replica floor goes on. No search fails or misses a document acknowledged
/// before it, and every acknowledged write is there at the end.
/// </summary>
[Collection(SecondClusterCollection.Name)]
public sealed class ReplicaCountTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    private const string C = "elastic_r";

    [Fact]
    public Task Lowering_R_lets_a_drain_held_on_the_replica_floor_finish_while_writes_and_searches_go_on() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec { Workers = 2, Coordinators = 1, CoordinatorArgs = Elastic.FastPlacement }, async (cluster, seed) =>
        {
            var http = cluster.Http();
            var (w1, w2) = (cluster.Workers[0].Name, cluster.Workers[1].Name);
            var vectors = new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 4);
            var docs = ClusterDocs.Make(vectors, "lr", 200);
            await Elastic.LoadAsync(http, C, Elastic.Collection(shards: 4, replicas: 2), docs, bulk: 100);
            await cluster.WaitSettledAsync(C, replicas: 2, TimeSpan.FromSeconds(90));
            await Elastic.WarmAsync(C, http);
            await using var load = LiveLoad.Start([http], C, docs.Select(d => d.Id), vectors, exhaustive: true);
            await load.WaitForMoreAsync(10, TimeSpan.FromSeconds(60));

            // R = 2 on two workers: the drain has nowhere to go and waits, both replicas serving.
            var drain = await http.PostAsync($"cluster/nodes/{w2}:drain", null);
            drain.AssertStatus(HttpStatusCode.Accepted);
            Assert.Equal("blocked", (string?)drain.Object["drain"]!["state"]);
            Assert.Contains("lower the collection's replicas", (string?)drain.Object["drain"]!["reason"], StringComparison.Ordinal);
            await load.WaitForMoreAsync(5, TimeSpan.FromSeconds(60));

            var patched = (await http.PatchAsync($"collections/{C}", new { replicas = 1 })).AssertStatus(HttpStatusCode.Accepted).Object;
            Assert.Equal(1, patched["replicas"]!.GetValue<int>());
            var done = await Elastic.WaitViewAsync(
                cluster,
                C,
                v => v.Nodes.Single(n => n.Name == w2).Drain?.State == "done" && v.IsSettled(C, 1, new HashSet<string> { w1 }),
                TimeSpan.FromSeconds(90),
                $"{w2}'s drain done once R is 1");
            Assert.All(done.Collection(C).Shards, s => Assert.Null(s.Blocked));

            await load.WaitForMoreAsync(10, TimeSpan.FromSeconds(60));
            await load.StopAsync();
            Elastic.AssertNoProblems(load, "while a drain waited and then went on at a lower R");
            Assert.True(load.Written > 0, "no write was acknowledged during the change");
            Assert.Equal(load.Acked.Count, await http.DocCountAsync(C));
            await cluster.WaitReplicasCaughtUpAsync(C, CollectionId(load), load.Acked.Count, TimeSpan.FromSeconds(60));
        });

    [Fact]
    public Task Raising_R_builds_replicas_reports_a_shortfall_past_the_workers_and_lowering_it_removes_them_while_writes_and_searches_go_on() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec
        {
            Workers = 2,
            Coordinators = 2,
            CoordinatorArgs = [.. Elastic.FastPlacement, "--Mosaic:Observability:SampleInterval=00:00:01", "--Mosaic:Advice:Window=00:00:10"],
        }, async (cluster, seed) =>
        {
            var (http, other) = (cluster.Http(0), cluster.Http(1));
            var vectors = new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 4);
            var docs = ClusterDocs.Make(vectors, "rr", 200);
            await Elastic.LoadAsync(http, C, Elastic.Collection(shards: 4, replicas: 1), docs, bulk: 100);
            await cluster.WaitSettledAsync(C, replicas: 1, TimeSpan.FromSeconds(90));
            await Elastic.WarmAsync(C, http, other);
            await using var load = LiveLoad.Start([http, other], C, docs.Select(d => d.Id), vectors, exhaustive: true);
            await load.WaitForMoreAsync(10, TimeSpan.FromSeconds(60));

            // Three replicas on two workers: accepted; each shard gets two and says it lacks the third.
            (await http.PatchAsync($"collections/{C}", new { replicas = 3 })).AssertStatus(HttpStatusCode.Accepted);
            await Wait.WaitUntilAsync(
                async () => (await other.GetAsync($"collections/{C}")).Object["replicas"]?.GetValue<int>() == 3,
                TimeSpan.FromSeconds(10),
                "the other coordinator's catalog shows R = 3");
            var short2 = await Elastic.WaitViewAsync(
                cluster,
                C,
                v => v.IsSettled(C, 2) && v.Collection(C).Shards.All(s => s.Blocked is not null),
                TimeSpan.FromSeconds(90),
                "every shard on both workers, each saying it lacks a third");
            Assert.All(short2.Collection(C).Shards, s => Assert.Contains("needs 3 replicas on distinct workers and has 2", s.Blocked, StringComparison.Ordinal));
            await AssertShortfallShownAsync(cluster, http);

            // A worker joins: the third replicas build there, and nothing waits any more.
            var w3 = (await cluster.AddWorkerAsync()).Name;
            var full = await cluster.WaitSettledAsync(C, replicas: 3, TimeSpan.FromSeconds(90));
            Assert.All(full.Collection(C).Shards, s => Assert.Null(s.Blocked));
            Assert.Equal(4, full.ShardsOn(C, w3).Count);
            await load.WaitForMoreAsync(10, TimeSpan.FromSeconds(60));

            // Back to one, through the .NET client on the other coordinator: the surplus drains and goes, one replica of
            // each shard serving throughout.
            using (var client = new MosaicClient(new Uri(cluster.Coordinators[1].Url + "/")))
            {
                Assert.Equal(1, (await client.SetReplicasAsync(C, 1)).Replicas);
            }

            await cluster.WaitSettledAsync(C, replicas: 1, TimeSpan.FromSeconds(90));
            await load.WaitForMoreAsync(10, TimeSpan.FromSeconds(60));
            await load.StopAsync();
            Elastic.AssertNoProblems(load, "while R went 1 → 3 (two workers, then three) → 1");
            Assert.True(load.Written > 0, "no write was acknowledged during the changes");
            Assert.Equal(load.Acked.Count, await http.DocCountAsync(C));
            await cluster.WaitReplicasCaughtUpAsync(C, CollectionId(load), load.Acked.Count, TimeSpan.FromSeconds(60));
        });

    /// <summary>The shortfall as blocked placement is shown: `mosaic status` names the shards that wait, and /advice has
    /// unblock_placement for them.</summary>
    private static async Task AssertShortfallShownAsync(ClusterHarness cluster, MosaicHttp http)
    {
        var status = await CliRun.RunAsync(["status", "--url", cluster.Coordinators[0].Url], Path.Combine(Path.GetTempPath(), $"mosaic-status-{Guid.NewGuid():N}.log"), TimeSpan.FromSeconds(60));
        Assert.True(status.ExitCode == 0, status.Describe());
        Assert.Contains($"shard {C}/", status.Output, StringComparison.Ordinal);
        Assert.Contains("waits for a place: shard", status.Output, StringComparison.Ordinal);
        Assert.Contains("needs 3 replicas on distinct workers and has 2", status.Output, StringComparison.Ordinal);

        JsonObject? advice = null;
        await Wait.WaitUntilAsync(
            async () =>
            {
                var recommendations = (await http.GetAsync("advice")).Object["recommendations"]!.AsArray();
                advice = recommendations.FirstOrDefault(r => (string)r!["action"]! == "unblock_placement" && (string?)r["collection"] == C) as JsonObject;
                return advice is not null;
            },
            TimeSpan.FromSeconds(60),
            "advice on the shards that lack a replica");
        Assert.Contains("add a worker", (string?)advice!["reason"], StringComparison.Ordinal);
    }

    private static long CollectionId(LiveLoad load) =>
        ConsistencyToken.TryParse(load.LastToken, out var token) ? token!.CollectionId : throw new Xunit.Sdk.XunitException("no write token to read the collection id from");
}
