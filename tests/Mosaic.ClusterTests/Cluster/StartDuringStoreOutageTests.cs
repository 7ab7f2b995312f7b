using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Cluster;

/// <summary>
/// A worker and a coordinator started while PostgreSQL is down wait for it and join when it is back, as a running node
/// rides out the same outage; they used to exit at start (the first lease renewal failed the host), so a node restarted
/// by its supervisor during a store restart crash-looped. Found by <c>ChaosTests</c>.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class StartDuringStoreOutageTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    private const string C = "startdown";

    [Fact]
    public Task A_worker_and_a_coordinator_started_while_the_store_is_down_wait_for_it_and_join() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec { Workers = 1, Coordinators = 2 }, async (cluster, seed) =>
        {
            var vectors = new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 4);
            var docs = ClusterDocs.Make(vectors, "sd", 20);
            await ClusterDocs.CreateAndLoadAsync(cluster.Http(), C, ClusterDocs.Collection(shards: 2, replicas: 1), docs);
            await cluster.WaitSettledAsync(C, replicas: 1, TimeSpan.FromSeconds(60));

            var coordinator = cluster.Coordinators[1];
            coordinator.Kill();
            await postgres.Server.StopAsync();
            Task<ClusterNode> adding;
            Task restarting;
            try
            {
                adding = cluster.AddWorkerAsync();
                restarting = coordinator.StartAsync(TimeSpan.FromSeconds(90));
                var worker = cluster.Workers[^1];
                // Both have tried the store and are waiting for it (not exited).
                await Wait.WaitUntilAsync(
                    () => adding.IsFaulted || restarting.IsFaulted || (worker.LogText().Contains("waiting for the store", StringComparison.Ordinal)
                        && coordinator.LogText().Contains("waiting for the store", StringComparison.Ordinal)),
                    TimeSpan.FromSeconds(60),
                    "the new worker and the restarted coordinator wait for the store");
            }
            finally
            {
                await postgres.Server.StartAgainAsync();
                cluster.Log("PostgreSQL started again");
            }

            var added = await adding;
            await restarting;
            await Wait.WaitUntilAsync(async () => (await cluster.ViewAsync()).LiveWorkers.Contains(added.Name), TimeSpan.FromSeconds(60), $"{added.Name} listed alive");
            Assert.Null(await ClusterDocs.IncompletenessAsync(cluster.Http(1), C, ClusterDocs.KeywordAll(docs.Count, 10_000, allowPartial: false), docs.Select(d => d.Id).ToHashSet()));
        });
}
