using System.Net;
using System.Text.Json.Nodes;
using Mosaic.ClusterTests.Cluster;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Elastic;

/// <summary>
/// A drain with nowhere to go is accepted, keeps every replica serving, and says "blocked" with the reason in its 202, in
/// /cluster, in `mosaic status` and in /advice; undrain cancels it; it goes on by itself once a worker joins (or another
/// is undrained). Replicas never fall below R on the way.
/// </summary>
[Collection(SecondClusterCollection.Name)]
public sealed class DrainBlockedTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    private const string C = "nowhere";

    [Fact]
    public Task A_drain_with_nowhere_to_go_says_blocked_and_why_and_goes_on_by_itself_when_a_worker_joins() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec
        {
            Workers = 2,
            Coordinators = 1,
            CoordinatorArgs = [.. Elastic.FastPlacement, "--Mosaic:Observability:SampleInterval=00:00:01", "--Mosaic:Advice:Window=00:00:10"],
        }, async (cluster, seed) =>
        {
            var http = cluster.Http();
            var (w1, w2) = (cluster.Workers[0].Name, cluster.Workers[1].Name);
            var vectors = new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 4);
            var docs = ClusterDocs.Make(vectors, "nw", 200);
            await Elastic.LoadAsync(http, C, Elastic.Collection(shards: 4, replicas: 2), docs, bulk: 100);
            await cluster.WaitSettledAsync(C, replicas: 2, TimeSpan.FromSeconds(90));
            await using var load = LiveLoad.Start([http], C, docs.Select(d => d.Id), vectors, write: false, exhaustive: true);
            await load.WaitForMoreAsync(10, TimeSpan.FromSeconds(60));

            // Two replicas need two workers: the drain is accepted, and says at once that it cannot move anything.
            var drain = await DrainAsync(http, w2, "drain");
            Assert.Equal("blocked", (string?)drain["state"]);
            Assert.Equal(4, (int)drain["replicas_left"]!);
            Assert.Contains("needs 2 replicas on distinct workers", (string?)drain["reason"], StringComparison.Ordinal);
            Assert.Contains($"{w1} holds one", (string?)drain["reason"], StringComparison.Ordinal);

            // The leader sees it too, and leaves every replica where it is, serving.
            await Wait.WaitUntilAsync(() => Task.FromResult(cluster.Coordinators[0].LogText().Contains("waits for a place", StringComparison.Ordinal)), TimeSpan.FromSeconds(30), "the leader logs the shards that wait");
            var blocked = await cluster.ViewAsync();
            AssertServingOn(blocked, w1, w2);
            var node = blocked.Nodes.Single(n => n.Name == w2);
            Assert.Equal(("draining", "blocked", 4), (node.State, node.Drain?.State, node.Drain?.ReplicasLeft));
            Assert.All(blocked.Collection(C).Shards, s => Assert.Contains("needs 2 replicas on distinct workers", s.Blocked, StringComparison.Ordinal));

            var status = await CliRun.RunAsync(["status", "--url", cluster.Coordinators[0].Url], Path.Combine(Path.GetTempPath(), $"mosaic-status-{Guid.NewGuid():N}.log"), TimeSpan.FromSeconds(60));
            Assert.True(status.ExitCode == 0, status.Describe());
            Assert.Contains($"drain of {w2} blocked (4 replica(s) left, still serving): shard {C}/", status.Output, StringComparison.Ordinal);

            JsonObject? advice = null;
            await Wait.WaitUntilAsync(
                async () =>
                {
                    var recommendations = (await http.GetAsync("advice")).Object["recommendations"]!.AsArray();
                    advice = recommendations.FirstOrDefault(r => (string)r!["action"]! == "unblock_drain") as JsonObject;
                    return advice is not null;
                },
                TimeSpan.FromSeconds(60),
                "advice on the blocked drain");
            Assert.Equal(w2, (string?)advice!["node"]);
            Assert.Contains("needs 2 replicas on distinct workers", (string?)advice["reason"], StringComparison.Ordinal);

            // Undrain cancels it; a second drain is blocked again.
            var undrain = await http.PostAsync($"cluster/nodes/{w2}:undrain", null);
            undrain.AssertStatus(HttpStatusCode.Accepted);
            var cancelled = (await cluster.ViewAsync()).Nodes.Single(n => n.Name == w2);
            Assert.Equal(("alive", null), (cancelled.State, cancelled.Drain));
            Assert.Equal("blocked", (string?)(await DrainAsync(http, w2, "drain again"))["state"]);

            // A worker joins: the drain goes on by itself, never below two serving replicas.
            var w3 = (await cluster.AddWorkerAsync()).Name;
            var done = await Elastic.WaitViewAsync(
                cluster,
                C,
                v => v.Nodes.Single(n => n.Name == w2).Drain?.State == "done" && v.IsSettled(C, 2, new HashSet<string> { w1, w3 }),
                TimeSpan.FromSeconds(90),
                $"{w2}'s drain done onto {w3}");
            Assert.All(done.Collection(C).Shards, s => Assert.Null(s.Blocked));

            // Two drains at once: with w2 drained, draining w1 too leaves only w3, which holds a replica of every shard.
            Assert.Equal("blocked", (string?)(await DrainAsync(http, w1, "second drain"))["state"]);
            var both = await cluster.ViewAsync();
            AssertServingOn(both, w1, w3);
            Assert.Contains($"{w3} holds one", both.Nodes.Single(n => n.Name == w1).Drain?.Reason, StringComparison.Ordinal);

            // Undraining w2 gives w1's replicas a place.
            (await http.PostAsync($"cluster/nodes/{w2}:undrain", null)).AssertStatus(HttpStatusCode.Accepted);
            await Elastic.WaitViewAsync(
                cluster,
                C,
                v => v.Nodes.Single(n => n.Name == w1).Drain?.State == "done" && v.IsSettled(C, 2, new HashSet<string> { w2, w3 }),
                TimeSpan.FromSeconds(90),
                $"{w1}'s drain done onto {w2} and {w3}");
            await load.WaitForMoreAsync(10, TimeSpan.FromSeconds(60));
            await load.StopAsync();
            Elastic.AssertNoProblems(load, "during blocked and resumed drains");
            Assert.Equal(docs.Count, await http.DocCountAsync(C));
        });

    /// <summary>Every shard serves on both nodes (/cluster's IsSettled counts only alive ones, not draining).</summary>
    private static void AssertServingOn(ClusterView view, string a, string b) =>
        Assert.True(view.Collection(C).Shards.All(s => s.Replicas.Count == 2 && s.Replicas.All(r => r.State == "serving" && (r.Node == a || r.Node == b)) && s.Replicas[0].Node != s.Replicas[1].Node), view.Describe(C));

    /// <summary>POST :drain, 202; the drain's progress from the answer.</summary>
    private static async Task<JsonObject> DrainAsync(MosaicHttp http, string node, string what)
    {
        var r = await http.PostAsync($"cluster/nodes/{node}:drain", null);
        r.AssertStatus(HttpStatusCode.Accepted);
        return r.Object["drain"] as JsonObject ?? throw new Xunit.Sdk.XunitException($"{what}: no drain progress in {r.Body}");
    }
}
