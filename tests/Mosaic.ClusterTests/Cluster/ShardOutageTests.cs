using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Cluster;

/// <summary>
/// Scenario 5: every replica of some shards is gone (R=1, their worker killed). Answers say so — partial, coverage below
/// 1, the failed shards listed — or are 503 with allow_partial false; restarting the worker makes them complete again.
/// </summary>
/// <remarks>
/// Workers get a lease longer than the outage, so placement does not move the lost shards elsewhere meanwhile: the
/// shards stay assigned to the dead worker and have no live replica until it comes back on the same port and data.
/// </remarks>
[Collection(ClusterCollection.Name)]
public sealed class ShardOutageTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    private const string C = "outage";

    [Fact]
    public Task Answers_are_partial_and_say_which_shards_failed_until_the_worker_returns() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec { Workers = 3, Coordinators = 1, WorkerLease = _ => TimeSpan.FromSeconds(90) }, async (cluster, seed) =>
        {
            var http = cluster.Http();
            var vectors = new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 6);
            var docs = ClusterDocs.Make(vectors, "ou", 240);
            string token = await ClusterDocs.CreateAndLoadAsync(http, C, ClusterDocs.Collection(shards: 8, replicas: 1), docs);
            var view = await cluster.WaitSettledAsync(C, replicas: 1, TimeSpan.FromSeconds(60));
            long collectionId = ReplicaProbe.CollectionIdOf(token);
            var all = docs.Select(d => d.Id).ToHashSet();
            await Wait.WaitUntilAsync(async () => await http.DocCountAsync(C) == docs.Count, TimeSpan.FromSeconds(30), $"doc_count == {docs.Count}");

            // Which documents each shard holds, asked from its one replica.
            var byShard = new Dictionary<int, HashSet<string>>();
            foreach (var shard in view.Collection(C).Shards)
            {
                var holder = cluster.Workers.Single(w => w.Name == shard.Replicas[0].Node);
                using var probe = new ReplicaProbe(holder.Url);
                byShard[shard.Shard] = (await probe.KeywordAsync(collectionId, shard.Shard, ClusterDocs.CommonWord, all.Count, TimeSpan.FromSeconds(10))).Select(h => h.Id).ToHashSet();
            }

            Assert.Equal(all.Count, byShard.Values.Sum(s => s.Count));

            // Kill the worker holding shard 0: all the shards it holds lose their only replica.
            var victim = cluster.Workers.Single(w => w.Name == view.Collection(C).Shards.Single(s => s.Shard == 0).Replicas[0].Node);
            var lost = view.ShardsOn(C, victim.Name).ToHashSet();
            var survivors = all.Except(lost.SelectMany(s => byShard[s])).ToHashSet();
            int lostSlots = view.Collection(C).Shards.Where(s => lost.Contains(s.Shard)).Sum(s => SlotCount(s.Range));
            double expectedCoverage = (1024 - lostSlots) / 1024.0;
            victim.Kill();
            cluster.Log($"killed {victim}, the only holder of shards [{string.Join(',', lost.Order())}]: {all.Count - survivors.Count} of {all.Count} docs out of reach");

            foreach (var search in new[] { ClusterDocs.KeywordAll(all.Count, 3000), ClusterDocs.VectorAll(vectors.Next(), all.Count, 3000) })
            {
                var answer = await http.SearchAsync(C, search);
                string what = $"{search["mode"]} search with shards [{string.Join(',', lost.Order())}] down: {Truncate(answer.ToJsonString())}";
                Assert.True(answer["partial"]!.GetValue<bool>(), what);
                Assert.True(Math.Abs(answer["coverage"]!.GetValue<double>() - expectedCoverage) < 1e-9, $"coverage should be {expectedCoverage}: {what}");
                AssertFailures(answer["shards"]!.AsObject(), lost, what);
                var ids = MosaicHttp.HitIds(answer).ToHashSet();
                Assert.True(ids.SetEquals(survivors), $"the answer should hold exactly the {survivors.Count} docs of the live shards, has {ids.Count}: {what}");
            }

            // allow_partial false: 503 with the same shard report.
            var refused = await http.PostAsync($"collections/{C}/search", ClusterDocs.KeywordAll(all.Count, 3000, allowPartial: false));
            refused.AssertStatus(HttpStatusCode.ServiceUnavailable);
            Assert.True(refused.Object["partial"]?.GetValue<bool>() == true, refused.Describe());
            Assert.True(refused.Object["coverage"]?.GetValue<double>() is double c && Math.Abs(c - expectedCoverage) < 1e-9, refused.Describe());
            AssertFailures(refused.Object["shards"]!.AsObject(), lost, refused.Describe());
            Assert.NotNull(refused.Object["error"]);

            // Back on the same port and data directory: complete again.
            await victim.StartAsync(TimeSpan.FromSeconds(60));
            cluster.Log($"restarted {victim}");
            await cluster.WaitSettledAsync(C, replicas: 1, TimeSpan.FromSeconds(60));
            await Wait.WaitUntilAsync(
                async () => await ClusterDocs.IncompletenessAsync(http, C, ClusterDocs.KeywordAll(all.Count, 3000), all) is null,
                TimeSpan.FromSeconds(30),
                "a complete answer after the worker is back");
            Assert.Null(await ClusterDocs.IncompletenessAsync(http, C, ClusterDocs.KeywordAll(all.Count, 3000, allowPartial: false), all));
            Assert.Null(await ClusterDocs.IncompletenessAsync(http, C, ClusterDocs.VectorAll(vectors.Next(), all.Count, 3000, allowPartial: false), all));
            Assert.Equal(all.Count, await http.DocCountAsync(C));
        });

    private static void AssertFailures(JsonObject shards, IReadOnlySet<int> lost, string what)
    {
        Assert.True(shards["total"]?.GetValue<int>() == 8, $"shards.total should be 8: {what}");
        Assert.True(shards["failed"]?.GetValue<int>() == lost.Count, $"shards.failed should be {lost.Count}: {what}");
        Assert.True(shards["ok"]?.GetValue<int>() == 8 - lost.Count, $"shards.ok should be {8 - lost.Count}: {what}");
        var failures = (shards["failures"] as JsonArray ?? []).Select(f => (Shard: f!["shard"]!.GetValue<int>(), Reason: f["reason"]!.GetValue<string>())).ToList();
        Assert.True(failures.Select(f => f.Shard).ToHashSet().SetEquals(lost), $"failures should list shards [{string.Join(',', lost.Order())}]: {what}");
        Assert.All(failures, f => Assert.Contains(f.Reason, new[] { "unavailable", "timeout", "error" }));
    }

    /// <summary>The number of slots in a range written "[from,to)".</summary>
    private static int SlotCount(string range)
    {
        var parts = range.Trim('[', ')').Split(',');
        return int.Parse(parts[1], CultureInfo.InvariantCulture) - int.Parse(parts[0], CultureInfo.InvariantCulture);
    }

    private static string Truncate(string s) => s.Length <= 800 ? s : s[..800] + "...";
}
