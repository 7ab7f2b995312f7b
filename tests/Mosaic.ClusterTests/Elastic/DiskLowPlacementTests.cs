using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Mosaic.ClusterTests.Cluster;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Elastic;

/// <summary>
/// A worker whose data disk is below its floor gets no replica: not at creation, not from the rebalancer when a worker
/// joins, not from a drain. /cluster shows its disk and the flag, the advice names it, and its /metrics exports the disk.
/// </summary>
/// <remarks>
/// The low worker is low honestly: its floor (1 PiB) is above what its real disk has free, measured by the worker like
/// any other. The other workers' floors are off, so the test does not depend on this machine's free space.
/// </remarks>
[Collection(SecondClusterCollection.Name)]
public sealed class DiskLowPlacementTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    private const string C = "disky";
    private const long Floor = 1L << 50;

    [Fact]
    public Task A_worker_below_its_disk_floor_receives_no_replica_and_is_reported() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec
        {
            Workers = 2,
            Coordinators = 1,
            CoordinatorArgs = [.. Elastic.FastPlacement, "--Mosaic:Observability:SampleInterval=00:00:01", "--Mosaic:Advice:Window=00:00:10"],
            WorkerArgs = ["--Mosaic:Worker:DiskFloorBytes=0", "--Mosaic:Worker:DiskFloorFraction=0"],
            WorkerArgsAt = i => i == 1 ? [$"--Mosaic:Worker:DiskFloorBytes={Floor.ToString(CultureInfo.InvariantCulture)}"] : [],
        }, async (cluster, seed) =>
        {
            var http = cluster.Http();
            var healthy = cluster.Workers[0];
            var low = cluster.Workers[1];

            // /cluster: the worker's own measurement of its real disk, and the flag.
            var view = await cluster.ViewAsync();
            var lowNode = view.Nodes.Single(n => n.Name == low.Name);
            var disk = new DriveInfo(low.DataDir!);
            Assert.True(lowNode.DiskLow, view.Raw);
            Assert.Equal(Floor, lowNode.DiskFloorBytes);
            Assert.Equal(disk.TotalSize, lowNode.DiskTotalBytes);
            Assert.InRange(lowNode.DiskFreeBytes!.Value, 1, disk.TotalSize);
            Assert.False(view.Nodes.Single(n => n.Name == healthy.Name).DiskLow, view.Raw);
            Assert.All(view.Nodes.Where(n => n.Role == "coordinator"), n => Assert.Null(n.DiskFreeBytes));

            // A new collection lands on the healthy worker only.
            var vectors = new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 6);
            var docs = ClusterDocs.Make(vectors, "dl", 300);
            await Elastic.LoadAsync(http, C, Elastic.Collection(shards: 6, replicas: 1), docs, bulk: 100);
            await cluster.WaitSettledAsync(C, replicas: 1, TimeSpan.FromSeconds(90), new HashSet<string> { healthy.Name });

            // A worker joins: the rebalancer moves half the shards to it and none to the emptier low worker.
            var joined = await cluster.AddWorkerAsync(null, "--Mosaic:Worker:DiskFloorBytes=0", "--Mosaic:Worker:DiskFloorFraction=0");
            // The empty low worker is no imbalance placement could fix: shard_imbalance weighs only nodes that may take replicas.
            var balanced = await Elastic.WaitViewAsync(
                cluster,
                C,
                v => v.IsSettled(C, 1, new HashSet<string> { healthy.Name, joined.Name }) && v.ShardsOn(C, joined.Name).Count >= 2 && v.ShardImbalance <= 1.5,
                TimeSpan.FromSeconds(120),
                $"shards moved to {joined.Name} until weights are within 1.5x");
            Assert.Empty(balanced.ShardsOn(C, low.Name));

            // A drain re-creates every replica on the joined worker, none on the low one.
            (await http.PostAsync($"cluster/nodes/{healthy.Name}:drain", null)).AssertStatus(HttpStatusCode.Accepted);
            var drained = await Elastic.WaitViewAsync(
                cluster,
                C,
                v => v.ShardsOn(C, healthy.Name).Count == 0 && v.IsSettled(C, 1, new HashSet<string> { joined.Name }),
                TimeSpan.FromSeconds(120),
                $"{healthy.Name} drained onto {joined.Name}");
            Assert.Empty(drained.ShardsOn(C, low.Name));
            Assert.Equal(docs.Count, await http.DocCountAsync(C));

            // The advice names the low worker, and only it; the placement leader said so in its log.
            JsonArray recommendations = [];
            await Wait.WaitUntilAsync(
                async () =>
                {
                    recommendations = (await http.GetAsync("advice")).Object["recommendations"]!.AsArray();
                    return recommendations.Any(r => (string)r!["action"]! == "add_disk");
                },
                TimeSpan.FromSeconds(60),
                "advice to add disk");
            var addDisk = recommendations.Where(r => (string)r!["action"]! == "add_disk").ToList();
            var advice = Assert.Single(addDisk)!;
            Assert.Equal(low.Name, (string?)advice["node"]);
            string reason = (string)advice["reason"]!;
            Assert.Contains($"worker {low.Name} has ", reason, StringComparison.Ordinal);
            Assert.Contains("below its floor of 1 PiB", reason, StringComparison.Ordinal);
            Assert.Contains("add disk or workers", reason, StringComparison.Ordinal);
            Assert.Contains($"worker {low.Name} has ", cluster.Coordinators[0].LogText(), StringComparison.Ordinal);

            // Its /metrics exports its disk.
            using var client = new HttpClient();
            string metrics = await client.GetStringAsync(low.MetricsUrl);
            Assert.Equal(Floor, Gauge(metrics, "mosaic_data_disk_floor_bytes", low.Name));
            Assert.Equal(disk.TotalSize, Gauge(metrics, "mosaic_data_disk_size_bytes", low.Name));
            Assert.InRange(Gauge(metrics, "mosaic_data_disk_free_bytes", low.Name), 1, disk.TotalSize);
        });

    /// <summary>The value of <paramref name="name"/>{node="<paramref name="node"/>"} in Prometheus text.</summary>
    private static long Gauge(string metrics, string name, string node)
    {
        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith(name + "{", StringComparison.Ordinal) && l.Contains($"node=\"{node}\"", StringComparison.Ordinal))
            ?? throw new Xunit.Sdk.XunitException($"no {name}{{node=\"{node}\"}} in /metrics:\n{metrics}");
        return (long)double.Parse(line[(line.LastIndexOf('}') + 2)..].Split(' ')[0], CultureInfo.InvariantCulture);
    }
}
