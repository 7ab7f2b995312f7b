using System.Collections.Concurrent;
using System.Net;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Cluster;

/// <summary>Scenario 3: kill -9 a worker while writes run; once the cluster settles every acknowledged write is searchable.</summary>
[Collection(ClusterCollection.Name)]
public sealed class WorkerKillDuringWritesTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    private const string C = "killwrites";

    [Fact]
    public Task Every_acknowledged_write_is_searchable_after_a_worker_dies_mid_load() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec { Workers = 3, Coordinators = 2 }, async (cluster, seed) =>
        {
            await cluster.Http(0).CreateCollectionAsync(C, ClusterDocs.Collection(shards: 8, replicas: 2));
            await cluster.WaitSettledAsync(C, replicas: 2, TimeSpan.FromSeconds(60));

            // 4 writers (2 per coordinator), each 30 rounds of: single PUT, single PUT, bulk of 5 — 840 distinct ids.
            var vectors = new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 6);
            var plan = Enumerable.Range(0, 4).Select(w => ClusterDocs.Make(vectors, $"kw{w}x", 210)).ToList();
            var acknowledged = new ConcurrentDictionary<string, (TestDoc Doc, string Token)>();
            var failures = new ConcurrentQueue<string>();
            var writers = plan.Select((docs, w) => Task.Run(async () =>
            {
                var http = cluster.Http(w % 2);
                for (int round = 0; round < 30; round++)
                {
                    var batch = docs.Skip(round * 7).Take(7).ToList();
                    foreach (var d in batch.Take(2))
                    {
                        var r = await http.PutAsync($"collections/{C}/docs/{d.Id}", d.Body());
                        if (r.Status == HttpStatusCode.OK)
                        {
                            acknowledged[d.Id] = (d, MosaicHttp.Token(r));
                        }
                        else
                        {
                            failures.Enqueue(r.Describe());
                        }
                    }

                    var bulk = await http.BulkAsync(C, batch.Skip(2).Select(d => d.Line()));
                    if (bulk.Status == HttpStatusCode.OK)
                    {
                        string token = MosaicHttp.Token(bulk);
                        foreach (var d in batch.Skip(2))
                        {
                            acknowledged[d.Id] = (d, token);
                        }
                    }
                    else
                    {
                        failures.Enqueue(bulk.Describe());
                    }
                }
            })).ToArray();

            await Wait.WaitUntilAsync(() => acknowledged.Count >= 120 || writers.All(w => w.IsCompleted), TimeSpan.FromSeconds(60), "120 acknowledged writes");
            var victim = cluster.Workers[2];
            victim.Kill();
            cluster.Log($"killed {victim} after {acknowledged.Count} acknowledged writes");
            await Task.WhenAll(writers);
            cluster.Log($"{acknowledged.Count} writes acknowledged, {failures.Count} failed");
            Assert.True(failures.IsEmpty, $"writes failed although only a worker died (writes go to the store):\n{string.Join('\n', failures.Take(10))}");

            var survivors = cluster.Workers.Where(w => w != victim).Select(w => w.Name).ToHashSet();
            await cluster.WaitSettledAsync(C, replicas: 2, TimeSpan.FromSeconds(90), allowedWorkers: survivors);

            var http = cluster.Http(1);
            long count = -1;
            await Wait.WaitUntilAsync(async () => (count = await http.DocCountAsync(C)) == acknowledged.Count, TimeSpan.FromSeconds(30), $"doc_count == {acknowledged.Count}");
            Assert.Equal(acknowledged.Count, count);
            Assert.Equal(acknowledged.Count, await cluster.Http(0).DocCountAsync(C));
            await cluster.WaitReplicasCaughtUpAsync(C, ReplicaProbe.CollectionIdOf(acknowledged.Values.First().Token), acknowledged.Count, TimeSpan.FromSeconds(30));

            // Each acknowledged write is found by its own word after its own token.
            var lost = new ConcurrentQueue<string>();
            await Parallel.ForEachAsync(acknowledged.Values, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (w, _) =>
            {
                var answer = await cluster.Http(w.Doc.Id.Length % 2).SearchAsync(C, ClusterDocs.Keyword(w.Doc.Word, w.Token));
                if (!MosaicHttp.HitIds(answer).Contains(w.Doc.Id) || answer["partial"]?.GetValue<bool>() != false)
                {
                    lost.Enqueue($"{w.Doc.Id}: {answer.ToJsonString()}");
                }
            });
            Assert.True(lost.IsEmpty, $"{lost.Count} acknowledged writes not found:\n{string.Join('\n', lost.Take(20))}");

            // And all of them at once, in the keyword index and in the vector index.
            var expected = acknowledged.Keys.ToHashSet();
            Assert.Null(await ClusterDocs.IncompletenessAsync(http, C, ClusterDocs.KeywordAll(expected.Count, 10_000), expected));
            Assert.Null(await ClusterDocs.IncompletenessAsync(http, C, ClusterDocs.VectorAll(vectors.Next(), expected.Count, 10_000), expected));
        });
}
