using System.Net;
using System.Text.Json.Nodes;
using Grpc.Core;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;
using static Mosaic.Testing.DocJson;

namespace Mosaic.ClusterTests.Cluster;

/// <summary>
/// The dfs phase over gRPC: shards on other processes score with the summed statistics, so placement changes nothing; and
/// every shard call carries a deadline, which the worker requires.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class KeywordStatsClusterTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    [Fact]
    public Task Keyword_and_hybrid_scores_on_six_remote_shards_equal_those_on_one() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec { Workers = 2, Coordinators = 1 }, async (cluster, seed) =>
        {
            var http = cluster.Http();
            await http.CreateCollectionAsync("kw-one", ClusterDocs.Collection(shards: 1, replicas: 1));
            await http.CreateCollectionAsync("kw-six", ClusterDocs.Collection(shards: 6, replicas: 1));
            await cluster.WaitSettledAsync("kw-one", replicas: 1, TimeSpan.FromSeconds(60));
            await cluster.WaitSettledAsync("kw-six", replicas: 1, TimeSpan.FromSeconds(60));

            var random = new Random(seed);
            string Word() => $"w{(int)Math.Floor(Math.Pow(300, random.NextDouble())) - 1}";
            var docs = ClusterDocs.Make(new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 4), "ks", 150);
            var lines = docs.Select(d => Line(Doc(string.Join(' ', Enumerable.Range(0, random.Next(1, 30)).Select(_ => Word())), d.Vector, id: d.Id))).ToList();
            var (_, one) = await http.BulkOkAsync("kw-one", lines);
            var (_, six) = await http.BulkOkAsync("kw-six", lines);

            for (int q = 0; q < 12; q++)
            {
                string query = string.Join(' ', Enumerable.Range(0, random.Next(1, 4)).Select(_ => Word()));
                foreach (string mode in new[] { "keyword", "hybrid" })
                {
                    JsonObject Search(string token) => new()
                    {
                        ["mode"] = mode,
                        ["query"] = query,
                        ["vector"] = Vector(docs[q].Vector),
                        ["top_k"] = 10,
                        ["consistency"] = new JsonObject { ["after"] = token },
                    };
                    var a = await http.SearchAsync("kw-one", Search(one));
                    var b = await http.SearchAsync("kw-six", Search(six));
                    Assert.False(b["partial"]!.GetValue<bool>(), b.ToJsonString());
                    Assert.Equal(MosaicHttp.HitIds(a), MosaicHttp.HitIds(b));
                    if (mode == "keyword")
                    {
                        Assert.Equal(MosaicHttp.HitScores(a), MosaicHttp.HitScores(b));
                    }
                }
            }

            // The collection view asks every remote shard for its statistics (the Stats call, with a deadline): all six
            // answer, and their counts add up to the collection's.
            var stats = Assert.IsType<JsonArray>((await http.GetAsync("collections/kw-six")).AssertStatus(HttpStatusCode.OK).Object["shard_stats"]);
            Assert.Equal(6, stats.Count);
            Assert.All(stats, s => Assert.NotNull(s!["doc_count"]));
            Assert.Equal(docs.Count, stats.Sum(s => s!["doc_count"]!.GetValue<long>()));

            // Every shard call must carry a deadline: the same Stats call without one is refused, with one it answers.
            var view = await cluster.ViewAsync();
            var worker = cluster.Workers.First(w => view.ShardsOn("kw-six", w.Name).Count > 0);
            int held = view.ShardsOn("kw-six", worker.Name)[0];
            long collectionId = ReplicaProbe.CollectionIdOf(six);
            using var probe = new ReplicaProbe(worker.Url);
            var refused = await Assert.ThrowsAsync<RpcException>(() => probe.StatsWithoutDeadlineAsync(collectionId, held, CancellationToken.None));
            Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
            Assert.Contains("deadline", refused.Status.Detail, StringComparison.Ordinal);
            Assert.Equal(held, (await probe.StatsAsync(collectionId, held, TimeSpan.FromSeconds(10))).Shard);
        });
}
