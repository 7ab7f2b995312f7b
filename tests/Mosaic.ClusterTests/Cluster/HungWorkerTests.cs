using System.Collections.Concurrent;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Cluster;

/// <summary>
/// Scenario 4: a worker hangs (SIGSTOP: its sockets stay open, it answers nothing). Queries still answer completely
/// within their deadline because reads hedge to the other replica; after SIGCONT the worker catches up.
/// </summary>
/// <remarks>
/// The hung worker gets a lease far longer than the hang, so it stays in routing the whole time: every answer then owes
/// its completeness to hedging, not to the node having dropped out. Two workers with R=2 put a replica of every shard on it.
/// </remarks>
[Collection(ClusterCollection.Name)]
public sealed class HungWorkerTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    private const string C = "hung";
    private const int TimeoutMs = 3000;

    [Fact]
    public Task Queries_answer_completely_within_their_deadline_while_a_worker_hangs_and_it_catches_up_after() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec
        {
            Workers = 2,
            Coordinators = 1,
            WorkerLease = i => i == 0 ? TimeSpan.FromSeconds(90) : null,
            CoordinatorArgs = ["--Mosaic:Coordinator:HedgeDelay=00:00:00.050"],
        }, async (cluster, seed) =>
        {
            var http = cluster.Http();
            var vectors = new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 6);
            var docs = ClusterDocs.Make(vectors, "hg", 200);
            string token = await ClusterDocs.CreateAndLoadAsync(http, C, ClusterDocs.Collection(shards: 8, replicas: 2), docs);
            await cluster.WaitSettledAsync(C, replicas: 2, TimeSpan.FromSeconds(60));
            await Wait.WaitUntilAsync(async () => await http.DocCountAsync(C) == docs.Count, TimeSpan.FromSeconds(30), $"doc_count == {docs.Count}");
            long collectionId = ReplicaProbe.CollectionIdOf(token);

            var hung = cluster.Workers[0];
            hung.Hang();
            cluster.Log($"SIGSTOP {hung}");

            // 1. Reads while it hangs: every answer complete (no failed shard, not partial), none past its timeout_ms.
            var expected = docs.Select(d => d.Id).ToHashSet();
            await using (var load = QueryLoad.Start([http], C, expected, vectors.Take(8), clients: 2, timeoutMs: TimeoutMs, maxQueries: 80))
            {
                await Wait.WaitUntilAsync(() => load.Exhausted, TimeSpan.FromSeconds(120), "80 searches answered while the worker hangs");
                Assert.True(load.Problems.Count == 0, $"{load.Problems.Count} of {load.Completed} searches incomplete while {hung} hangs:\n{string.Join('\n', load.Problems.Take(20))}");
                Assert.Equal(80, load.Completed);
            }

            // 2. Writes while it hangs (they go to the store), read back after their tokens: the live replicas answer.
            var during = ClusterDocs.Make(vectors, "hgstop", 60);
            var tokens = new List<(TestDoc Doc, string Token)>();
            foreach (var d in during.Take(20))
            {
                tokens.Add((d, await http.UpsertAsync(C, d.Id, d.Body())));
            }

            var (written, bulkToken) = await http.BulkOkAsync(C, during.Skip(20).Select(d => d.Line()));
            Assert.Equal(40, written);
            tokens.AddRange(during.Skip(20).Select(d => (d, bulkToken)));
            var problems = new ConcurrentQueue<string>();
            await Parallel.ForEachAsync(tokens, new ParallelOptions { MaxDegreeOfParallelism = 2 }, async (t, _) =>
            {
                var answer = await http.SearchAsync(C, ClusterDocs.Keyword(t.Doc.Word, t.Token, timeoutMs: TimeoutMs));
                if (!MosaicHttp.HitIds(answer).Contains(t.Doc.Id) || answer["partial"]?.GetValue<bool>() != false || answer["shards"]?["failed"]?.GetValue<int>() != 0)
                {
                    problems.Enqueue($"{t.Doc.Id} after its token while {hung.Name} hangs: {answer.ToJsonString()}");
                }
            });
            Assert.True(problems.IsEmpty, $"{problems.Count} writes not read back while a worker hangs:\n{string.Join('\n', problems.Take(20))}");
            var all = expected.Concat(during.Select(d => d.Id)).ToHashSet();
            Assert.Null(await ClusterDocs.IncompletenessAsync(http, C, ClusterDocs.KeywordAll(all.Count, TimeoutMs), all));
            Assert.Null(await ClusterDocs.IncompletenessAsync(http, C, ClusterDocs.VectorAll(vectors.Next(), all.Count, TimeoutMs), all));

            // 3. SIGCONT: its replicas apply what they missed and serve again with lag 0.
            hung.Resume();
            cluster.Log($"SIGCONT {hung}");
            var shards = (await cluster.ViewAsync()).ShardsOn(C, hung.Name);
            Assert.Equal(8, shards.Count);
            using var probe = new ReplicaProbe(hung.Url);
            await Wait.WaitUntilAsync(
                async () =>
                {
                    long held = 0;
                    foreach (var shard in shards)
                    {
                        var stats = await probe.TryStatsAsync(collectionId, shard, TimeSpan.FromSeconds(5));
                        if (stats is null || stats.State != "serving" || stats.Lag != 0)
                        {
                            return false;
                        }

                        held += stats.DocCount;
                    }

                    return held == all.Count;
                },
                TimeSpan.FromSeconds(60),
                $"every replica on {hung.Name} serving with lag 0 and {all.Count} docs in all");

            // The documents written during the hang are on the resumed worker's own replicas.
            var found = new HashSet<string>();
            foreach (var shard in shards)
            {
                found.UnionWith((await probe.KeywordAsync(collectionId, shard, ClusterDocs.CommonWord, all.Count, TimeSpan.FromSeconds(10))).Select(h => h.Id));
            }

            var missing = all.Except(found).ToList();
            Assert.True(missing.Count == 0, $"{missing.Count} docs missing on {hung.Name} after it resumed: {string.Join(',', missing.Take(20))}");
            Assert.Null(await ClusterDocs.IncompletenessAsync(http, C, ClusterDocs.KeywordAll(all.Count, TimeoutMs), all));

            // /cluster says so too: every replica serving with lag 0.
            await cluster.WaitSettledAsync(C, replicas: 2, TimeSpan.FromSeconds(20), lagZero: true);
        });
}
