using System.Globalization;
using Mosaic.ClusterTests.Cluster;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Chaos;

/// <summary>
/// A seeded randomized fault soak: PostgreSQL, 2 coordinators and 3 workers under writers and searchers through both
/// coordinators, while a random schedule kills -9 and SIGSTOPs workers, kills coordinators (the placement leader or not),
/// stops the store, drains and undrains workers, splits shards and adds a worker. Invariants hold throughout
/// (<see cref="ChaosWriters"/>, <see cref="ChaosReaders"/>) and after the cluster settles (<see cref="ChaosChecker"/>).
/// </summary>
/// <remarks>
/// <c>MOSAIC_CHAOS_SEED=n</c> replays a schedule (printed at the start), <c>MOSAIC_CHAOS_SECONDS=s</c> sets how long the
/// faults go on (default 60). Without a seed every run draws a new one.
/// </remarks>
[Collection(ClusterCollection.Name)]
public sealed class ChaosTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    private const string C = "chaos";
    private const int Replicas = 2;
    private const int Writers = 3;
    private const int Readers = 3;

    [Fact]
    public Task Acknowledged_writes_survive_random_kills_hangs_outages_drains_and_splits_and_answers_stay_honest() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec { Workers = 3, Coordinators = 2, CoordinatorArgs = Elastic.Elastic.FastPlacement }, async (cluster, testSeed) =>
        {
            int seed = int.TryParse(Environment.GetEnvironmentVariable("MOSAIC_CHAOS_SEED"), CultureInfo.InvariantCulture, out int s) ? s : testSeed;
            var duration = TimeSpan.FromSeconds(double.TryParse(Environment.GetEnvironmentVariable("MOSAIC_CHAOS_SECONDS"), CultureInfo.InvariantCulture, out double d) ? d : 60);
            var schedule = ChaosSchedule.Make(seed, duration);
            cluster.Log($"chaos seed {seed} (replay with MOSAIC_CHAOS_SEED={seed}), {duration.TotalSeconds} s of faults:\n  {string.Join("\n  ", schedule)}");

            var coordinators = cluster.Coordinators.Select(c => new MosaicHttp(c.Url, TimeSpan.FromSeconds(10))).ToList();
            var ledger = new ChaosLedger();
            var report = new ChaosReport();
            try
            {
                var vectors = new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 4);
                var preload = Enumerable.Range(0, 60).Select(i => $"pre-{i}").Select(id => new ChaosDoc(id, 1, ChaosWriters.Text(id, 1), vectors.Next())).ToList();
                await cluster.Http().CreateCollectionAsync(C, ClusterDocs.Collection(shards: 4, replicas: Replicas));
                var (_, token) = await cluster.Http().BulkOkAsync(C, preload.Select(p => DocJson.Line(DocJson.Doc(p.Text, p.Vector, id: p.Id))));
                ledger.Preloaded(preload, token);
                await cluster.WaitSettledAsync(C, Replicas, TimeSpan.FromSeconds(90));

                using var stop = new CancellationTokenSource();
                var writers = new ChaosWriters(coordinators, C, ledger, report, seed);
                var readers = new ChaosReaders(coordinators, C, ledger, report, seed);
                var load = Enumerable.Range(0, Writers).Select(w => Task.Run(() => writers.RunAsync(w, stop.Token)))
                    .Concat(Enumerable.Range(0, Readers).Select(r => Task.Run(() => readers.RunAsync(r, stop.Token))))
                    .ToList();

                await new ChaosFaults(cluster, postgres.Server, C, report).RunAsync(schedule);
                cluster.Log($"chaos: faults over; {report.Counts()}");
                await stop.CancelAsync();
                await Task.WhenAll(load);
                cluster.Log($"chaos: load stopped; {report.Counts()}\n{report.Samples()}");
                Assert.True(report.Failure("under the faults") is null, report.Failure("under the faults"));

                await new ChaosChecker(cluster, C, ledger, report).CheckAsync(Replicas);
                Assert.True(report.Failure("after the faults") is null, report.Failure("after the faults"));
                Assert.True(report.CountOf("search:checked-after-token") > 0, $"no complete answer after a token was checked: {report.Counts()}");
            }
            finally
            {
                // The store may have been stopped by a fault that failed half-way; the next scenario needs it.
                await postgres.Server.StartAgainAsync();
                coordinators.ForEach(c => c.Dispose());
            }
        });
}
