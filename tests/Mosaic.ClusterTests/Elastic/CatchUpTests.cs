using System.Net;
using Mosaic.ClusterTests.Cluster;
using Mosaic.Testing;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Elastic;

/// <summary>Issue 7: the log stays bounded, a new replica loads the collection's size (not its history), and a replica
/// whose file is corrupt comes back from the store.</summary>
[Collection(SecondClusterCollection.Name)]
public sealed class CatchUpTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    [Fact]
    public Task After_many_updates_the_log_is_compacted_and_a_new_replica_builds_from_current_rows() =>
        ClusterHarness.RunAsync(
            postgres,
            output,
            new ClusterSpec { Workers = 2, Coordinators = 1, CoordinatorArgs = [.. Elastic.FastPlacement, "--Mosaic:Placement:CompactEvery=00:00:01", "--Mosaic:Placement:LogKeepPerSlot=2"] },
            async (cluster, seed) =>
            {
                const string C = "catchup";
                const int Docs = 5000, Rounds = 10;
                var vectors = new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 8);
                var docs = ClusterDocs.Make(vectors, "u", Docs);
                string token = await Elastic.LoadAsync(cluster.Http(0), C, Elastic.Collection(shards: 2, replicas: 1), docs, bulk: 1000);
                for (int round = 1; round <= Rounds; round++)
                {
                    foreach (var chunk in docs.Chunk(1000))
                    {
                        (_, token) = await cluster.Http(0).BulkOkAsync(C, chunk.Select(d => d with { Text = $"{d.Text} round{round}" }).Select(d => d.Line()));
                    }
                }

                long collectionId = ReplicaProbe.CollectionIdOf(token);
                await cluster.WaitReplicasCaughtUpAsync(C, collectionId, Docs, TimeSpan.FromSeconds(120));
                // 55,000 changes were written; compaction keeps 2 per slot behind the head.
                long left = 0;
                await Wait.WaitUntilAsync(
                    async () => (left = await CountChangesAsync(cluster.Store, collectionId)) <= 1024 * 2,
                    TimeSpan.FromSeconds(60),
                    "the change log compacted to at most 2 changes per slot");
                cluster.Log($"{left} change rows left of {Docs * (Rounds + 1)}");

                // Move every replica to a new worker: the log alone could not rebuild 5,000 documents any more.
                var fresh = await cluster.AddWorkerAsync();
                foreach (var old in cluster.Workers.Where(w => w != fresh))
                {
                    (await cluster.Http(0).PostAsync($"cluster/nodes/{old.Name}:drain", null)).AssertStatus(HttpStatusCode.Accepted);
                }

                await cluster.WaitSettledAsync(C, replicas: 1, TimeSpan.FromSeconds(120), allowedWorkers: new HashSet<string> { fresh.Name });
                await cluster.WaitReplicasCaughtUpAsync(C, collectionId, Docs, TimeSpan.FromSeconds(60));
                var hits = await cluster.Http(0).PostAsync($"collections/{C}/search", ClusterDocs.Keyword($"round{Rounds}", token, topK: 1000));
                hits.AssertStatus(HttpStatusCode.OK);
                Assert.Equal(1000, MosaicHttp.HitIds(hits.Object).Count);
                Assert.Equal(Docs, await cluster.Http(0).DocCountAsync(C));
            });

    [Fact]
    public Task A_replica_whose_shard_file_is_corrupt_is_rebuilt_from_the_store() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec { Workers = 1, Coordinators = 1, CoordinatorArgs = Elastic.FastPlacement }, async (cluster, seed) =>
        {
            const string C = "corrupt";
            var vectors = new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 4);
            var docs = ClusterDocs.Make(vectors, "k", 300);
            string token = await Elastic.LoadAsync(cluster.Http(0), C, Elastic.Collection(shards: 2, replicas: 1), docs, bulk: 100);
            await cluster.WaitSettledAsync(C, replicas: 1, TimeSpan.FromSeconds(90));
            var worker = cluster.Workers[0];
            await cluster.WaitReplicasCaughtUpAsync(C, ReplicaProbe.CollectionIdOf(token), docs.Count, TimeSpan.FromSeconds(30));

            await worker.TerminateAsync(TimeSpan.FromSeconds(30));
            string file = Directory.GetFiles(worker.DataDir!, "shard_000.db", SearchOption.AllDirectories).Single();
            await File.WriteAllBytesAsync(file, Enumerable.Repeat((byte)0x5A, 64 * 1024).ToArray());
            foreach (var side in Directory.GetFiles(Path.GetDirectoryName(file)!, "shard_000.db-*"))
            {
                File.Delete(side);
            }

            await worker.StartAsync(TimeSpan.FromSeconds(60));
            cluster.Log($"restarted {worker} over a corrupt {file}");
            await cluster.WaitSettledAsync(C, replicas: 1, TimeSpan.FromSeconds(90));
            var expected = docs.Select(d => d.Id).ToHashSet();
            await Wait.WaitUntilAsync(
                async () => await ClusterDocs.IncompletenessAsync(cluster.Http(0), C, ClusterDocs.KeywordAll(1000, 10_000, token: token), expected) is null,
                TimeSpan.FromSeconds(60),
                "complete answers after the corrupt replica came back");
            string log = worker.LogText();
            Assert.True(
                log.Contains("rebuilding it from the store", StringComparison.Ordinal) || log.Contains("Restarting failed replica", StringComparison.Ordinal),
                "the worker should say it rebuilt the corrupt replica from the store");
        });

    private static async Task<long> CountChangesAsync(string store, long collectionId)
    {
        await using var connection = new NpgsqlConnection(store);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM changes WHERE collection_id = @c", connection);
        command.Parameters.AddWithValue("c", collectionId);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
