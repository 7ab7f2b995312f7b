using Mosaic.ClusterTests.Cluster;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Gateway;

/// <summary>
/// Gateways over listed backends (<c>--backends</c>, <c>--backups</c>): how each policy spreads requests, a hung
/// coordinator taken out and back by the health checks, and a backup that answers only while every primary is down.
/// </summary>
/// <remarks>
/// One cluster for all three, since each start costs more than the checks. Each answer names its coordinator in the
/// Mosaic-Node header, and the tests count those; /metrics says what the gateway sent where and whom it routes to.
/// </remarks>
[Collection(SecondClusterCollection.Name)]
public sealed class GatewayBackendsTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    private const string C = "gwlist";
    private const int N = 60;

    [Fact]
    public Task Policies_spread_requests_as_named_a_hung_coordinator_is_taken_out_and_back_and_a_backup_answers_only_while_the_primaries_are_down() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec { Workers = 1, Coordinators = 3 }, async (cluster, seed) =>
        {
            var (expected, vectors) = await Gateways.LoadAsync(cluster, seed, C);
            var search = Gateways.Search(C, expected.Count);

            // 1. Policies, with one request at a time.
            var policies = new[] { "RoundRobin", "LeastRequests", "PowerOfTwoChoices" };
            var gateways = await Task.WhenAll(policies.Select(p => Gateways.StartAsync(cluster, "--backends", Gateways.Urls(cluster.Coordinators), "--policy", p)));
            var names = cluster.Coordinators.Select(c => c.Name).ToHashSet();
            var counts = new Dictionary<string, Dictionary<string, int>>();
            for (int i = 0; i < policies.Length; i++)
            {
                counts[policies[i]] = await Gateways.AnsweringNodesAsync(gateways[i].Url, N, search);
                cluster.Log($"{policies[i]}: {Gateways.Describe(counts[policies[i]])}");
                Assert.Subset(names, counts[policies[i]].Keys.ToHashSet());
            }

            // Round robin: in turn, exactly a third each.
            Assert.All(names, n => Assert.Equal(N / 3, counts["RoundRobin"].GetValueOrDefault(n)));
            // Least requests: every backend has 0 in flight and the tie goes to the first, so (nearly) all land on one; "nearly"
            // because the gateway counts a request done just after the client has the answer, so the next may see it busy.
            Assert.True(counts["LeastRequests"].Values.Max() >= N * 9 / 10, $"LeastRequests: {Gateways.Describe(counts["LeastRequests"])}");
            // Power of two choices with equal load picks at random: each gets some (one getting none has p = 3 * (2/3)^60).
            Assert.All(names, n => Assert.True(counts["PowerOfTwoChoices"].GetValueOrDefault(n) > 0, $"PowerOfTwoChoices: {Gateways.Describe(counts["PowerOfTwoChoices"])}"));

            // 2. Two primaries and a backup, under a search load that must see no failure from here on.
            var (primaries, backup) = (cluster.Coordinators.Take(2).ToList(), cluster.Coordinators[2]);
            var gateway = await Gateways.StartAsync(cluster, ["--backends", Gateways.Urls(primaries), "--backups", backup.Url, "--policy", "RoundRobin", .. Gateways.FastHealth]);
            using var http = new MosaicHttp(gateway.Url, TimeSpan.FromSeconds(30));
            await using var load = QueryLoad.Start([http], C, expected, vectors.Take(8), clients: 3, timeoutMs: 5000);
            await load.WaitForMoreAsync(30, TimeSpan.FromSeconds(60));

            // SIGSTOP a primary: out after 2 failed 1 s probes 0.5 s apart (or 3 transport failures), a few seconds; 30 s is
            // the generous bound. Requests already sent to it give up after the 10 s request timeout and retry elsewhere.
            var hung = primaries[1];
            hung.Hang();
            cluster.Log($"SIGSTOPped {hung}");
            await Wait.WaitUntilAsync(async () => (await Gateways.MetricsAsync(gateway)).IsOutAndIdle(hung), TimeSpan.FromSeconds(45), $"the gateway takes {hung} out");
            var atOut = await Gateways.MetricsAsync(gateway);
            await load.WaitForMoreAsync(40, TimeSpan.FromSeconds(60));
            var whileOut = await Gateways.MetricsAsync(gateway);
            Assert.Equal(atOut.Attempts(hung), whileOut.Attempts(hung));
            // One primary still up: the backup gets nothing.
            Assert.Equal(0, whileOut.Attempts(backup));

            hung.Resume();
            cluster.Log($"resumed {hung}");
            await Wait.WaitUntilAsync(async () => (await Gateways.MetricsAsync(gateway)).IsUp(hung), TimeSpan.FromSeconds(30), $"the gateway takes {hung} back");
            await Wait.WaitUntilAsync(async () => (await Gateways.MetricsAsync(gateway)).Attempts(hung) > whileOut.Attempts(hung), TimeSpan.FromSeconds(30), $"{hung} gets requests again");

            // kill -9 both primaries: only the backup answers, and no search fails.
            foreach (var primary in primaries)
            {
                primary.Kill();
            }

            cluster.Log("killed both primaries");
            await Wait.WaitUntilAsync(async () => primaries.All((await Gateways.MetricsAsync(gateway)).IsOutAndIdle), TimeSpan.FromSeconds(30), "both primaries out");
            var down = await Gateways.AnsweringNodesAsync(gateway.Url, 20, search);
            cluster.Log($"primaries down: {Gateways.Describe(down)}");
            Assert.Equal(new[] { backup.Name }, down.Keys);

            // One primary back: the backup is idle again.
            await primaries[0].StartAsync(TimeSpan.FromSeconds(60));
            cluster.Log($"restarted {primaries[0]}");
            await Wait.WaitUntilAsync(async () => (await Gateways.MetricsAsync(gateway)).IsUp(primaries[0]), TimeSpan.FromSeconds(30), $"{primaries[0]} back in rotation");
            await load.StopAsync();
            var back = await Gateways.AnsweringNodesAsync(gateway.Url, 20, search);
            cluster.Log($"one primary back: {Gateways.Describe(back)}; {load.Completed} searches under load; gateway metrics:\n{(await Gateways.MetricsAsync(gateway)).Text}");
            Assert.Equal(new[] { primaries[0].Name }, back.Keys);
            Gateways.AssertNoFailedSearch(load);
        });
}
