using System.Net;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Cluster;

/// <summary>
/// A keyword or hybrid search whose keyword-statistics (dfs) phase meets a hung worker (SIGSTOP, R=1, so its shards have no
/// other replica): the statistics phase must leave the search phase time, and the answer is partial with those shards in
/// <c>failures</c>, not a 503 for a deadline the statistics used up.
/// </summary>
/// <remarks>The hung worker keeps a long lease, so it stays in routing: its shards are asked, and never answer.</remarks>
[Collection(ClusterCollection.Name)]
public sealed class HungWorkerKeywordStatsTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    private const string C = "dfshang";
    private const int TimeoutMs = 2000;

    [Fact]
    public Task Keyword_and_hybrid_searches_answer_partially_when_a_worker_hangs_in_the_statistics_phase() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec
        {
            Workers = 2,
            Coordinators = 1,
            WorkerLease = i => i == 0 ? TimeSpan.FromSeconds(90) : null,
        }, async (cluster, seed) =>
        {
            var http = cluster.Http();
            var vectors = new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 4);
            var docs = ClusterDocs.Make(vectors, "dh", 120);
            string token = await ClusterDocs.CreateAndLoadAsync(http, C, ClusterDocs.Collection(shards: 4, replicas: 1), docs);
            await cluster.WaitSettledAsync(C, replicas: 1, TimeSpan.FromSeconds(60));
            var all = docs.Select(d => d.Id).ToHashSet();
            async Task CompleteAsync(string when)
            {
                string? incomplete = null;
                try
                {
                    await Wait.WaitUntilAsync(
                        async () => (incomplete = await ClusterDocs.IncompletenessAsync(http, C, ClusterDocs.KeywordAll(all.Count, TimeoutMs, token: token), all)) is null,
                        TimeSpan.FromSeconds(30),
                        $"a complete keyword answer {when}");
                }
                catch (TimeoutException)
                {
                    Assert.Fail($"no complete keyword answer {when} within 30 s; the last: {incomplete}");
                }
            }

            await CompleteAsync("before the hang");

            var hung = cluster.Workers[0];
            var live = cluster.Workers[1];
            var view = await cluster.ViewAsync();
            var hungShards = view.ShardsOn(C, hung.Name).ToHashSet();
            var liveShards = view.ShardsOn(C, live.Name);
            Assert.True(hungShards.Count is > 0 and < 4 && liveShards.Count == 4 - hungShards.Count, view.Describe(C));

            // What the live worker's shards hold: exactly the hits a partial answer may and must have.
            long collectionId = ReplicaProbe.CollectionIdOf(token);
            var onLive = new HashSet<string>();
            using (var probe = new ReplicaProbe(live.Url))
            {
                foreach (int shard in liveShards)
                {
                    onLive.UnionWith((await probe.KeywordAsync(collectionId, shard, ClusterDocs.CommonWord, all.Count, TimeSpan.FromSeconds(10))).Select(h => h.Id));
                }
            }

            Assert.True(onLive.Count is > 0 and < 120, $"{onLive.Count} docs on {live.Name}");

            hung.Hang();
            cluster.Log($"SIGSTOP {hung}");
            try
            {
                foreach (string mode in new[] { "keyword", "hybrid" })
                {
                    var search = ClusterDocs.KeywordAll(all.Count, TimeoutMs);
                    search["mode"] = mode;
                    search["vector"] = DocJson.Vector(vectors.Next());
                    var r = await http.PostAsync($"collections/{C}/search", search);
                    Assert.True(r.Status == HttpStatusCode.OK, $"{mode}: {r.Describe()}");
                    var o = r.Object;
                    Assert.True(o["partial"]!.GetValue<bool>(), r.Describe());
                    Assert.Equal(4, o["shards"]!["total"]!.GetValue<int>());
                    Assert.Equal(liveShards.Count, o["shards"]!["ok"]!.GetValue<int>());
                    Assert.Equal(hungShards.Count, o["shards"]!["failed"]!.GetValue<int>());
                    var failures = o["shards"]!["failures"]!.AsArray();
                    Assert.Equal(hungShards.OrderBy(s => s), failures.Select(f => f!["shard"]!.GetValue<int>()).OrderBy(s => s));
                    Assert.All(failures, f => Assert.Equal("timeout", f!["reason"]!.GetValue<string>()));
                    double coverage = o["coverage"]!.GetValue<double>();
                    Assert.True(coverage is > 0 and < 1, r.Describe());
                    var ids = MosaicHttp.HitIds(o);
                    if (mode == "keyword")
                    {
                        Assert.Equal(onLive.OrderBy(x => x, StringComparer.Ordinal), ids.OrderBy(x => x, StringComparer.Ordinal));
                    }
                    else
                    {
                        // Hybrid fuses the keyword list (every live doc) with the vector list of the same shards.
                        Assert.True(ids.ToHashSet().SetEquals(onLive), $"hybrid hits {ids.Count}, on {live.Name} {onLive.Count}");
                    }

                    // Without allow_partial the same shards make it a 503 that reports them.
                    search["allow_partial"] = false;
                    var strict = await http.PostAsync($"collections/{C}/search", search);
                    Assert.True(strict.Status == HttpStatusCode.ServiceUnavailable, $"{mode}, allow_partial false: {strict.Describe()}");
                    Assert.Equal(hungShards.Count, strict.Object["shards"]!["failed"]!.GetValue<int>());
                }
            }
            finally
            {
                hung.Resume();
                cluster.Log($"SIGCONT {hung}");
            }

            // After SIGCONT the worker answers again: complete answers.
            await CompleteAsync("after the worker resumed");
        });
}
