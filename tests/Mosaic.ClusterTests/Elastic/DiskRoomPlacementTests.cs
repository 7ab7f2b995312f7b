using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Mosaic.ClusterTests.Cluster;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Elastic;

/// <summary>
/// A worker above its disk floor but without room there for a replica gets none: the rebalancer moves none to it, and a
/// drain that could only go there waits and names the worker, its room and the replica's size; a worker with room
/// that joins takes the drain. The rebalancer passes over the tight worker to the next lightest one that has room.
/// </summary>
/// <remarks>
/// The tight worker has a 4 MiB quota of its disk (Mosaic:Worker:DiskQuotaBytes) and a floor 256 KiB under it, so its
/// room is exact and its own, whatever else writes to this machine's disk; the replicas are several times that. Every
/// other worker's floor is off.
/// </remarks>
[Collection(SecondClusterCollection.Name)]
public sealed class DiskRoomPlacementTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    private const string C = "roomy";
    private const long Disk = 4L << 20;
    private const long Floor = Disk - (256L << 10);

    [Fact]
    public Task A_replica_goes_only_where_it_fits_above_the_floor_and_a_drain_that_fits_nowhere_says_so() =>
        ClusterHarness.RunAsync(postgres, output, OneRoomyWorker, async (cluster, seed) =>
        {
            var http = cluster.Http();
            var w1 = cluster.Workers[0].Name;
            var docs = await LoadTwoShardsAsync(cluster, seed);

            var tight = await cluster.AddWorkerAsync(null, TightWorker);
            // Replica sizes come with the workers' periodic reports: one taken just after the load may predate its rows.
            var view = await Elastic.WaitViewAsync(
                cluster,
                C,
                v => v.Nodes.Any(n => n.Name == tight.Name && n.DiskFreeBytes is not null) && v.Collection(C).Shards.Min(s => s.Replicas.Single().Bytes) > Disk - Floor,
                TimeSpan.FromSeconds(30),
                "the tight worker reports its disk, and the replicas sizes bigger than its room (else this test means nothing)");
            var node = view.Nodes.Single(n => n.Name == tight.Name);
            Assert.False(node.DiskLow, view.Raw);
            Assert.Equal(Disk, node.DiskTotalBytes);
            Assert.Equal(Disk, node.DiskFreeBytes);

            // w1 holds both shards and the tight worker none: an imbalance the rebalancer may not fix by filling its
            // disk, and /cluster says so.
            var imbalanced = await Elastic.WaitViewAsync(cluster, C, v => v.RebalanceBlocked is not null, TimeSpan.FromSeconds(30), "/cluster says the rebalancer cannot help");
            Assert.Contains($"no replica on {w1} fits the lightest worker: {tight.Name} has ", imbalanced.RebalanceBlocked, StringComparison.Ordinal);
            Assert.Equal(2, imbalanced.ShardsOn(C, w1).Count);
            // Draining w1 could only go there: it is accepted, blocked, and says why.
            var r = await http.PostAsync($"cluster/nodes/{w1}:drain", null);
            r.AssertStatus(HttpStatusCode.Accepted);
            var drain = r.Object["drain"] as JsonObject ?? throw new Xunit.Sdk.XunitException(r.Body);
            Assert.Equal("blocked", (string?)drain["state"]);
            string reason = (string)drain["reason"]!;
            Assert.Contains($"{tight.Name} has ", reason, StringComparison.Ordinal);
            Assert.Contains(" free above its floor", reason, StringComparison.Ordinal);
            Assert.Contains($"shard {C}/", reason, StringComparison.Ordinal);
            Assert.Contains("(about ", reason, StringComparison.Ordinal);

            await Wait.WaitUntilAsync(() => Task.FromResult(cluster.Coordinators[0].LogText().Contains("waits for a place", StringComparison.Ordinal)), TimeSpan.FromSeconds(30), "the leader logs the shards that wait");
            var blocked = await cluster.ViewAsync();
            Assert.Empty(blocked.ShardsOn(C, tight.Name));
            Assert.Equal(2, blocked.ShardsOn(C, w1).Count);
            Assert.All(blocked.Collection(C).Shards, s => Assert.Contains(" free above its floor", s.Blocked, StringComparison.Ordinal));
            Assert.Equal(docs.Count, await http.DocCountAsync(C));

            // A worker with room joins: the drain goes there, still nothing to the tight one.
            var roomy = await cluster.AddWorkerAsync();
            var done = await Elastic.WaitViewAsync(
                cluster,
                C,
                v => v.Nodes.Single(n => n.Name == w1).Drain?.State == "done" && v.IsSettled(C, 1, new HashSet<string> { roomy.Name }),
                TimeSpan.FromSeconds(90),
                $"{w1}'s drain done onto {roomy.Name}");
            Assert.Empty(done.ShardsOn(C, tight.Name));
            Assert.Equal(docs.Count, await http.DocCountAsync(C));
        });

    [Fact]
    public Task The_rebalancer_moves_a_replica_to_the_next_lightest_worker_when_it_fits_no_lighter_one() =>
        ClusterHarness.RunAsync(postgres, output, OneRoomyWorker, async (cluster, seed) =>
        {
            var http = cluster.Http();
            var w1 = cluster.Workers[0].Name;
            var docs = await LoadTwoShardsAsync(cluster, seed);

            // Both new workers are empty: the tight one must be the lighter of the two, so its node id sorts first
            // (equal weights are ordered by id).
            int[] ports = [FreePort.Next(), FreePort.Next()];
            var (tightPort, roomyPort) = string.CompareOrdinal($"127.0.0.1:{ports[0]}", $"127.0.0.1:{ports[1]}") < 0 ? (ports[0], ports[1]) : (ports[1], ports[0]);
            var tight = await cluster.AddWorkerAtAsync(tightPort, TightWorker);
            await Elastic.WaitViewAsync(cluster, C, v => v.RebalanceBlocked is not null, TimeSpan.FromSeconds(30), "/cluster says no replica fits the tight worker");

            var roomy = await cluster.AddWorkerAtAsync(roomyPort);
            var moved = await Elastic.WaitViewAsync(
                cluster,
                C,
                v => v.IsSettled(C, 1) && v.ShardsOn(C, roomy.Name).Count == 1 && v.ShardsOn(C, w1).Count == 1,
                TimeSpan.FromSeconds(60),
                $"a replica moved past {tight.Name} to {roomy.Name}");
            Assert.Empty(moved.ShardsOn(C, tight.Name));
            Assert.Equal(docs.Count, await http.DocCountAsync(C));
        });

    /// <summary>One worker to start with, its floor off.</summary>
    private static ClusterSpec OneRoomyWorker => new()
    {
        Workers = 1,
        Coordinators = 1,
        CoordinatorArgs = Elastic.FastPlacement,
        WorkerArgs = ["--Mosaic:Worker:DiskFloorBytes=0", "--Mosaic:Worker:DiskFloorFraction=0"],
    };

    /// <summary>Two shards of 3,000 documents, each replica several times the tight worker's room, on the first worker.</summary>
    private static async Task<List<TestDoc>> LoadTwoShardsAsync(ClusterHarness cluster, int seed)
    {
        var docs = ClusterDocs.Make(new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 4), "rm", 3000);
        await Elastic.LoadAsync(cluster.Http(), C, Elastic.Collection(shards: 2, replicas: 1), docs, bulk: 500);
        await cluster.WaitSettledAsync(C, replicas: 1, TimeSpan.FromSeconds(90));
        return docs;
    }

    /// <summary>A 4 MiB share of the disk with its floor 256 KiB under it.</summary>
    private static string[] TightWorker =>
    [
        $"--Mosaic:Worker:DiskQuotaBytes={Disk.ToString(CultureInfo.InvariantCulture)}",
        $"--Mosaic:Worker:DiskFloorBytes={Floor.ToString(CultureInfo.InvariantCulture)}",
        "--Mosaic:Worker:DiskFloorFraction=0",
    ];
}
