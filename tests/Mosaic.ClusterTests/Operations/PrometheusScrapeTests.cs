using System.Collections.Concurrent;
using System.Diagnostics;
using Mosaic.ClusterTests.Cluster;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Operations;

/// <summary>
/// A real Prometheus scrapes a coordinator and two workers (the workers on their HTTP/1.1 metrics port). The search rate
/// PromQL computes from the coordinator's counter matches the rate the test sent, the workers' per-shard gauges add up
/// to the collection, and every role's /metrics passes <c>promtool check metrics</c>.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PrometheusScrapeTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    private const string C = "scraped";
    private const double SentPerSecond = 20;
    private static readonly TimeSpan LoadFor = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(15);

    [Fact]
    public Task Prometheus_sees_the_search_rate_the_test_sent_and_every_role_passes_promtool() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec { Workers = 2, Coordinators = 1 }, async (cluster, seed) =>
        {
            var http = cluster.Http();
            var vectors = new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 4);
            var docs = ClusterDocs.Make(vectors, "pm", 120);
            await ClusterDocs.CreateAndLoadAsync(http, C, ClusterDocs.Collection(shards: 4, replicas: 1), docs);
            await cluster.WaitSettledAsync(C, replicas: 1, TimeSpan.FromSeconds(60));
            await Wait.WaitUntilAsync(async () => await http.DocCountAsync(C) == docs.Count, TimeSpan.FromSeconds(30), $"doc_count == {docs.Count}");

            using var dir = new TempDirectory("mosaic-prometheus");
            var nodes = cluster.Coordinators.Concat(cluster.Workers).ToList();
            await using var prometheus = await PrometheusServer.StartAsync(dir.Path, nodes.Select(n => $"127.0.0.1:{n.MetricsPort}"));
            cluster.Log($"prometheus at {prometheus.Url}, log {prometheus.LogPath}");
            await Wait.WaitUntilAsync(
                async () => (await prometheus.QueryAsync("up == 1")).Count == nodes.Count,
                TimeSpan.FromSeconds(60),
                $"prometheus scrapes all {nodes.Count} targets");

            // Open loop at a fixed rate: request i is sent at start + i / rate whatever the earlier ones do.
            var completed = new ConcurrentQueue<DateTimeOffset>();
            var failures = new ConcurrentQueue<string>();
            var inFlight = new List<Task>();
            var start = DateTimeOffset.UtcNow;
            var clock = Stopwatch.StartNew();
            for (int i = 0; clock.Elapsed < LoadFor; i++)
            {
                var due = TimeSpan.FromSeconds(i / SentPerSecond);
                if (due > clock.Elapsed)
                {
                    await Task.Delay(due - clock.Elapsed);
                }

                var search = i % 2 == 0 ? ClusterDocs.KeywordAll(10, 5000) : ClusterDocs.VectorAll(vectors.Next(), 10, 5000);
                inFlight.Add(Task.Run(async () =>
                {
                    var r = await http.PostAsync($"collections/{C}/search", search);
                    if (r.StatusCode == 200)
                    {
                        completed.Enqueue(DateTimeOffset.UtcNow);
                    }
                    else
                    {
                        failures.Enqueue(r.Describe());
                    }
                }));
            }

            await Task.WhenAll(inFlight);
            Assert.True(failures.IsEmpty, $"{failures.Count} searches failed: {string.Join('\n', failures.Take(5))}");

            // The rate over a window inside the load, as Prometheus computes it and as the test saw it complete.
            var at = start + LoadFor - TimeSpan.FromSeconds(5);
            double sent = completed.Count(t => t > at - RateWindow && t <= at) / RateWindow.TotalSeconds;
            // 'at' lies 5 s before the load ended, so Prometheus (scraping every second) has scraped past it.
            var rate = await prometheus.QueryAsync($"sum(rate(mosaic_searches_total{{collection=\"{C}\"}}[{RateWindow.TotalSeconds:0}s]))", at);
            Assert.Single(rate);
            double seen = rate[0].Value;
            cluster.Log($"search rate: sent {sent:F2}/s, prometheus {seen:F2}/s");
            Assert.True(Math.Abs(seen - sent) <= 0.10 * sent, $"prometheus says {seen:F2} searches/s, the test sent {sent:F2}/s");

            // The HTTP histogram counts the same searches under the route template.
            var byRoute = await prometheus.QueryAsync("sum(rate(mosaic_http_request_duration_seconds_count{route=\"/collections/{name}/search\",status=\"200\"}[15s]))", at);
            Assert.True(byRoute.Count == 1 && Math.Abs(byRoute[0].Value - sent) <= 0.10 * sent, $"route rate {string.Join(",", byRoute.Select(r => r.Value))} vs sent {sent:F2}");

            // Workers' per-shard gauges: 4 shards over 2 workers, holding every document; p99 from the histogram exists.
            var shardDocs = await prometheus.QueryAsync($"mosaic_shard_documents{{collection=\"{C}\"}}");
            Assert.Equal(4, shardDocs.Count);
            Assert.Equal(docs.Count, shardDocs.Sum(s => s.Value));
            Assert.Equal(2, shardDocs.Select(s => (string?)s.Labels["instance"]).Distinct().Count());
            var p99 = await prometheus.QueryAsync("histogram_quantile(0.99, sum by (le) (rate(mosaic_search_duration_seconds_bucket[15s])))", at);
            Assert.True(p99.Count == 1 && p99[0].Value > 0 && p99[0].Value <= 10, $"p99 {string.Join(",", p99.Select(p => p.Value))}");
            var cpu = await prometheus.QueryAsync("sum by (instance) (dotnet_process_cpu_time_seconds_total)");
            Assert.Equal(nodes.Count, cpu.Count);

            // promtool's linter accepts every role's exposition.
            using var client = new HttpClient();
            foreach (var node in nodes)
            {
                string file = Path.Combine(dir.Path, $"{node.Role}-{node.Index}.prom");
                await File.WriteAllTextAsync(file, await client.GetStringAsync(node.MetricsUrl));
                var check = await ChildProcess.RunAsync("sh", ["-c", $"promtool check metrics < '{file}'"], TimeSpan.FromSeconds(30));
                Assert.True(check.ExitCode == 0, $"promtool check metrics on {node}: {check.Output}");
            }
        });
}
