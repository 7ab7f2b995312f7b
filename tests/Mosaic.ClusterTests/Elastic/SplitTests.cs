using System.Net;
using Mosaic.ClusterTests.Cluster;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Elastic;

/// <summary>Issue 7: live shard splits, by hand and past a threshold, with no missed or duplicated document.</summary>
[Collection(SecondClusterCollection.Name)]
public sealed class SplitTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    [Fact]
    public Task Splitting_2_shards_into_4_under_writes_and_searches_misses_and_duplicates_nothing() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec { Workers = 2, Coordinators = 2, CoordinatorArgs = Elastic.FastPlacement }, async (cluster, seed) =>
        {
            const string C = "split";
            var vectors = new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 6);
            var docs = ClusterDocs.Make(vectors, "s", 300);
            string preSplit = await Elastic.LoadAsync(cluster.Http(0), C, Elastic.Collection(shards: 2, replicas: 1), docs, bulk: 50);
            await cluster.WaitSettledAsync(C, replicas: 1, TimeSpan.FromSeconds(90));

            await using var load = LiveLoad.Start([cluster.Http(0), cluster.Http(1)], C, docs.Select(d => d.Id), vectors, exhaustive: true, maxDuration: TimeSpan.FromSeconds(100));
            await load.WaitForMoreAsync(10, TimeSpan.FromSeconds(60));

            var first = await cluster.Http(0).PostAsync($"collections/{C}/shards/0:split", null);
            first.AssertStatus(HttpStatusCode.Accepted);
            Assert.Equal(0, first.Object["parent"]!.GetValue<int>());
            Assert.Equal([2, 3], first.Object["children"]!.AsArray().Select(c => c!.GetValue<int>()));
            var second = await cluster.Http(1).PostAsync($"collections/{C}/shards/1:split", null);
            second.AssertStatus(HttpStatusCode.Accepted);
            Assert.Equal([4, 5], second.Object["children"]!.AsArray().Select(c => c!.GetValue<int>()));

            // A shard already splitting, and one that does not exist, are refused clearly.
            (await cluster.Http(0).PostAsync($"collections/{C}/shards/0:split", null)).AssertStatus(HttpStatusCode.Conflict);
            (await cluster.Http(0).PostAsync($"collections/{C}/shards/99:split", null)).AssertStatus(HttpStatusCode.NotFound);
            (await cluster.Http(0).PostAsync($"collections/{C}/shards/x:split", null)).AssertStatus(HttpStatusCode.BadRequest);

            var after = await Elastic.WaitViewAsync(
                cluster,
                C,
                v => v.Collection(C).Shards.Select(s => s.Shard).Order().SequenceEqual([2, 3, 4, 5]) && v.IsSettled(C, 1),
                TimeSpan.FromSeconds(120),
                "shards 2, 3, 4, 5 serve and the parents are retired");
            await load.WaitForMoreAsync(10, TimeSpan.FromSeconds(60));
            await load.StopAsync();
            cluster.Log($"{load.Searches} searches, {load.Written} docs written during the split\n{after.Describe(C)}");
            Elastic.AssertNoProblems(load, "during the split");
            Assert.Equal(["[0,256)", "[256,512)", "[512,768)", "[768,1024)"], after.Collection(C).Shards.Select(s => s.Range).Order());

            // The token of a write before the split still works, and every document is found exactly once.
            var acked = load.Acked;
            var answer = await cluster.Http(1).PostAsync($"collections/{C}/search", ClusterDocs.KeywordAll(1000, 10_000, token: preSplit));
            answer.AssertStatus(HttpStatusCode.OK);
            var ids = MosaicHttp.HitIds(answer.Object);
            Assert.Equal(ids.Count, ids.Distinct().Count());
            Assert.Equal(acked.Order(), ids.Order());
            await cluster.WaitReplicasCaughtUpAsync(C, ReplicaProbe.CollectionIdOf(preSplit), acked.Count, TimeSpan.FromSeconds(30));
        });

    [Fact]
    public Task A_shard_past_the_document_threshold_splits_by_itself() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec { Workers = 2, Coordinators = 1, CoordinatorArgs = [.. Elastic.FastPlacement, "--Mosaic:Placement:SplitAtDocs=250"] }, async (cluster, seed) =>
        {
            const string C = "autosplit";
            var vectors = new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 4);
            var docs = ClusterDocs.Make(vectors, "a", 400);
            string token = await Elastic.LoadAsync(cluster.Http(0), C, Elastic.Collection(shards: 1, replicas: 1), docs, bulk: 100);

            // 400 documents > 250: shard 0 splits into 1 and 2 (about 200 each), which stay under the threshold.
            var view = await Elastic.WaitViewAsync(
                cluster,
                C,
                v => v.Collection(C).Shards.Select(s => s.Shard).Order().SequenceEqual([1, 2]) && v.IsSettled(C, 1),
                TimeSpan.FromSeconds(120),
                "shard 0 split by itself into 1 and 2");
            Assert.Equal(["[0,512)", "[512,1024)"], view.Collection(C).Shards.Select(s => s.Range).Order());
            var expected = docs.Select(d => d.Id).ToHashSet();
            Assert.Null(await ClusterDocs.IncompletenessAsync(cluster.Http(0), C, ClusterDocs.KeywordAll(1000, 10_000, token: token), expected));
        });
}
