using System.Text.Json.Nodes;
using Mosaic.ClusterTests.Cluster;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Operations;

/// <summary>
/// One worker under an uncached vector search load past its targets: /advice recommends adding workers with the
/// numbers in its reason, <c>mosaic_desired_replicas{role="worker"}</c> says more than 1, and <c>mosaic advise</c>
/// prints it.
/// </summary>
/// <remarks>
/// The worker's CPU target is set to 5 % (the default is 70 %): on the test machine's two shared cores a worker cannot be
/// driven to 70 % reliably, while a search load usually holds one above 5 %; when other processes starve it of CPU, the
/// search p99 it causes passes its 100 ms target instead. Either way the worker is the bottleneck the advice must name. What is tested is the path from a real
/// worker's measured CPU, through its /signals and the coordinator's sampler, to the HPA arithmetic and the exports.
/// </remarks>
[Collection(ClusterCollection.Name)]
public sealed class AdviceTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    private const string C = "advised";

    [Fact]
    public Task An_overloaded_worker_gets_add_a_worker() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec
        {
            Workers = 1,
            Coordinators = 1,
            CoordinatorArgs = ["--Mosaic:Observability:SampleInterval=00:00:01", "--Mosaic:Advice:Window=00:00:10", "--Mosaic:Advice:Workers:TargetCpuUtilization=0.05"],
        }, async (cluster, seed) =>
        {
            var http = cluster.Http();
            var vectors = new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 4);
            var docs = ClusterDocs.Make(vectors, "ad", 400);
            await ClusterDocs.CreateAndLoadAsync(http, C, ClusterDocs.Collection(shards: 4, replicas: 1), docs);
            await cluster.WaitSettledAsync(C, replicas: 1, TimeSpan.FromSeconds(60));

            // Closed loop, four clients, a new vector every search: nothing is answered from the cache.
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            var loadStart = DateTimeOffset.UtcNow;
            long failures = 0;
            var clients = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    var r = await http.PostAsync($"collections/{C}/search", ClusterDocs.VectorAll(vectors.Next(), 10, 5000));
                    if (r.StatusCode != 200)
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
            })).ToList();

            JsonObject advice = null!;
            try
            {
                await Wait.WaitUntilAsync(
                    async () =>
                    {
                        advice = (await http.GetAsync("advice")).Object;
                        // A window wholly inside the search load (the bulk load before it kept the worker busy too).
                        return DateTimeOffset.Parse((string)advice["at"]!, System.Globalization.CultureInfo.InvariantCulture) > loadStart + TimeSpan.FromSeconds(12)
                            && (double)advice["window_seconds"]! >= 9
                            && (double)advice["signals"]!["qps"]! > 0
                            && advice["recommendations"]!.AsArray().Any(r => (string)r!["action"]! == "add_workers");
                    },
                    TimeSpan.FromSeconds(90),
                    "advice to add workers over a window of search load");

                cluster.Log($"advice: {advice.ToJsonString()}");
                var worker = advice["roles"]!.AsArray().Single(r => (string)r!["role"]! == "worker")!;
                Assert.Equal(1, (int)worker["current"]!);
                Assert.True((int)worker["desired"]! > 1, worker.ToJsonString());
                // The worker is past a target: its CPU (5 %), or, when the shared machine starves it of CPU, the search p99
                // it causes (100 ms). The reason names that metric with the HPA arithmetic.
                var over = worker["metrics"]!.AsArray().Where(m => (double)m!["ratio"]! > 1.1).Select(m => (string)m!["name"]!).ToList();
                Assert.True(over.Count > 0, worker.ToJsonString());
                var add = advice["recommendations"]!.AsArray().First(r => (string)r!["action"]! == "add_workers")!;
                string reason = (string)add["reason"]!;
                Assert.Contains(over, name => reason.Contains(name + " ", StringComparison.Ordinal));
                Assert.Contains("ceil(1 × ", reason, StringComparison.Ordinal);
                Assert.Contains("vs target", reason, StringComparison.Ordinal);
                Assert.Equal((int)worker["desired"]! - 1, (int)add["count"]!);

                // The same recommendation for an external-metrics autoscaler.
                using var scrape = new HttpClient();
                string metrics = await scrape.GetStringAsync(cluster.Coordinators[0].Url + "/metrics");
                var line = metrics.Split('\n').Single(l => l.StartsWith("mosaic_desired_replicas{", StringComparison.Ordinal) && l.Contains("role=\"worker\"", StringComparison.Ordinal));
                Assert.True(int.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture) > 1, line);

                var cli = await CliRun.RunAsync(["advise", "--url", cluster.Coordinators[0].Url], Path.Combine(Path.GetTempPath(), $"mosaic-advise-{Guid.NewGuid():N}.log"), TimeSpan.FromSeconds(60));
                Assert.True(cli.ExitCode == 0, cli.Describe());
                Assert.Contains("add_workers: add ", cli.Output, StringComparison.Ordinal);
                Assert.Contains("worker", cli.Output, StringComparison.Ordinal);
            }
            finally
            {
                await stop.CancelAsync();
                await Task.WhenAll(clients);
            }

            Assert.Equal(0, Interlocked.Read(ref failures));
        });

    /// <summary>
    /// A hung worker (SIGSTOP, its lease still running) is waited on for NodeTimeout by every sample, so each pass outlasts a
    /// 1 s window: the advice must still be re-evaluated on the sample just taken (it was not: the window held no sample,
    /// every evaluation threw, and /advice kept answering the last advice from before the hang).
    /// </summary>
    [Fact]
    public Task Advice_keeps_coming_while_a_hung_worker_makes_every_sample_outlast_the_window() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec
        {
            Workers = 1,
            Coordinators = 1,
            WorkerLease = _ => TimeSpan.FromMinutes(5),
            CoordinatorArgs = ["--Mosaic:Observability:SampleInterval=00:00:01", "--Mosaic:Observability:NodeTimeout=00:00:03", "--Mosaic:Advice:Window=00:00:01"],
        }, async (cluster, seed) =>
        {
            var http = cluster.Http();
            (await http.GetAsync("advice")).AssertStatus(System.Net.HttpStatusCode.OK);
            cluster.Workers[0].Hang();
            var hungAt = DateTimeOffset.UtcNow;
            await Wait.WaitUntilAsync(
                async () =>
                {
                    var r = await http.GetAsync("advice");
                    return r.StatusCode == 200
                        && DateTimeOffset.Parse((string)r.Object["at"]!, System.Globalization.CultureInfo.InvariantCulture) > hungAt + TimeSpan.FromSeconds(10);
                },
                TimeSpan.FromSeconds(60),
                "advice evaluated from samples taken while the worker hangs");
        });
}
