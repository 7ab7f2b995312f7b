using System.Net;
using System.Text.Json.Nodes;
using Mosaic.ClusterTests.Cluster;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Elastic;

/// <summary>
/// A worker killed, drained while down, and started again on its old data directory after its shards moved away and
/// were written to: it serves none of its stale replicas, deletes their files, and once undrained holds current data.
/// </summary>
[Collection(SecondClusterCollection.Name)]
public sealed class StaleRejoinTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    private const string C = "rejoin";

    [Fact]
    public Task A_worker_back_with_stale_replicas_after_its_shards_moved_serves_none_deletes_them_and_later_holds_current_data() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec { Workers = 2, Coordinators = 1, CoordinatorArgs = Elastic.FastPlacement }, async (cluster, seed) =>
        {
            var http = cluster.Http();
            var (w1, w2) = (cluster.Workers[0], cluster.Workers[1]);
            var vectors = new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 4);
            var docs = ClusterDocs.Make(vectors, "rj", 400);
            string token = await Elastic.LoadAsync(http, C, Elastic.Collection(shards: 4, replicas: 1), docs, bulk: 100);
            var settled = await cluster.WaitSettledAsync(C, replicas: 1, TimeSpan.FromSeconds(90));
            Assert.NotEmpty(settled.ShardsOn(C, w2.Name));
            await cluster.WaitReplicasCaughtUpAsync(C, ReplicaProbe.CollectionIdOf(token), docs.Count, TimeSpan.FromSeconds(60));

            // kill -9, and a drain of the dead worker: accepted, and done once its lease runs out and its shards moved.
            w2.Kill();
            (await http.PostAsync($"cluster/nodes/{w2.Name}:drain", null)).AssertStatus(HttpStatusCode.Accepted);
            await Elastic.WaitViewAsync(cluster, C, v => v.Nodes.Single(n => n.Name == w2.Name) is { State: "dead", Drain.State: "done" } && v.IsSettled(C, 1, new HashSet<string> { w1.Name }), TimeSpan.FromSeconds(60), $"{w2.Name}'s shards re-created on {w1.Name}");
            Assert.NotEmpty(ShardFiles(w2));

            // The shards change while it is away: its files now hold deleted and outdated documents.
            var deleted = docs.Take(40).Select(d => d.Id).ToHashSet();
            var updated = docs.Skip(40).Take(40).ToList();
            var lines = deleted.Select(DocJson.DeleteLine)
                .Concat(updated.Select(d => DocJson.Line(DocJson.Doc($"{ClusterDocs.CommonWord} fresh{d.Id.Replace("-", "", StringComparison.Ordinal)}", d.Vector, id: d.Id))));
            (_, token) = await http.BulkOkAsync(C, lines);
            var expected = docs.Select(d => d.Id).Where(id => !deleted.Contains(id)).ToHashSet();

            // Back on its old directory: drained, it is given nothing, and it deletes the stale files.
            await w2.StartAsync(TimeSpan.FromSeconds(60));
            await Elastic.WaitViewAsync(cluster, C, v => v.Nodes.Single(n => n.Name == w2.Name) is { State: "draining", Drain.State: "done" }, TimeSpan.FromSeconds(30), $"{w2.Name} back, drained, holding nothing");
            await Wait.WaitUntilAsync(() => Task.FromResult(ShardFiles(w2).Count == 0), TimeSpan.FromSeconds(30), $"{w2.Name} deletes its stale shard files");
            Assert.Null(await ClusterDocs.IncompletenessAsync(http, C, ClusterDocs.KeywordAll(1000, 10_000, token: token), expected));

            // Undrained, it takes shards again and they hold what the store holds now: no deleted document comes back.
            (await http.PostAsync($"cluster/nodes/{w2.Name}:undrain", null)).AssertStatus(HttpStatusCode.Accepted);
            await Elastic.WaitViewAsync(cluster, C, v => v.IsSettled(C, 1) && v.ShardsOn(C, w2.Name).Count > 0, TimeSpan.FromSeconds(90), $"{w2.Name} holds shards again");
            await cluster.WaitReplicasCaughtUpAsync(C, ReplicaProbe.CollectionIdOf(token), expected.Count, TimeSpan.FromSeconds(60));
            Assert.Null(await ClusterDocs.IncompletenessAsync(http, C, ClusterDocs.KeywordAll(1000, 10_000), expected));
            var fresh = updated[0];
            var hits = (await http.SearchAsync(C, ClusterDocs.Keyword($"fresh{fresh.Id.Replace("-", "", StringComparison.Ordinal)}")))["hits"]!.AsArray();
            Assert.Equal(fresh.Id, (string?)Assert.Single(hits)!["id"]);
        });

    /// <summary>The shard files under the worker's data directory.</summary>
    private static List<string> ShardFiles(ClusterNode worker)
    {
        string dir = Path.Combine(worker.DataDir!, "shards");
        return Directory.Exists(dir) ? Directory.EnumerateFiles(dir, "*.db", SearchOption.AllDirectories).ToList() : [];
    }
}
