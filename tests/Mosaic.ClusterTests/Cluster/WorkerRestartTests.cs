using System.Globalization;
using System.Text.RegularExpressions;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Cluster;

/// <summary>
/// Scenario 6: a worker restarted on the same data directory and port reopens its shard files (the rows it had) and
/// applies only the log tail it missed, rather than rebuilding its shards from zero.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class WorkerRestartTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    private const string C = "restart";

    /// <summary>kill -9, then back before its lease runs out: placement never moved its replicas.</summary>
    [Fact]
    public Task A_worker_killed_and_restarted_within_its_lease_reopens_its_shards_and_applies_the_tail() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec { Workers = 3, Coordinators = 1, WorkerLease = i => i == 0 ? TimeSpan.FromSeconds(90) : null }, async (cluster, seed) =>
        {
            await RestartScenarioAsync(cluster, seed, replicas: 2, victim => { victim.Kill(); return Task.CompletedTask; });
        });

    /// <summary>
    /// SIGTERM (the worker leaves the cluster gracefully), then back. With two workers and R=2 there is nowhere else to put
    /// its replicas, so placement gives them back to it when it returns.
    /// </summary>
    [Fact]
    public Task A_worker_stopped_gracefully_and_restarted_reopens_its_shards_and_applies_the_tail() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec { Workers = 2, Coordinators = 1 }, async (cluster, seed) =>
        {
            await RestartScenarioAsync(cluster, seed, replicas: 2, async victim =>
            {
                int code = await victim.TerminateAsync(TimeSpan.FromSeconds(30));
                cluster.Log($"{victim} exited with {code} after SIGTERM");
            });
        });

    private static async Task RestartScenarioAsync(ClusterHarness cluster, int seed, int replicas, Func<ClusterNode, Task> stop)
    {
        var http = cluster.Http();
        var vectors = new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 6);
        var docs = ClusterDocs.Make(vectors, "rs", 400);
        string token = await ClusterDocs.CreateAndLoadAsync(http, C, ClusterDocs.Collection(shards: 8, replicas: replicas), docs);
        var view = await cluster.WaitSettledAsync(C, replicas, TimeSpan.FromSeconds(60));
        await Wait.WaitUntilAsync(async () => await http.DocCountAsync(C) == docs.Count, TimeSpan.FromSeconds(30), $"doc_count == {docs.Count}");
        long collectionId = ReplicaProbe.CollectionIdOf(token);

        var victim = cluster.Workers[0];
        var shards = view.ShardsOn(C, victim.Name);
        Assert.NotEmpty(shards);
        var rowsBefore = new Dictionary<int, long>();
        using (var probe = new ReplicaProbe(victim.Url))
        {
            foreach (var shard in shards)
            {
                var stats = await probe.StatsAsync(collectionId, shard, TimeSpan.FromSeconds(10));
                Assert.True(stats.Lag == 0 && stats.State == "serving", $"{victim} shard {shard} before the stop: {stats}");
                rowsBefore[shard] = stats.DocCount;
            }
        }

        Assert.True(rowsBefore.Values.Sum() > 0, "the worker should hold documents before it stops");
        await stop(victim);
        cluster.Log($"stopped {victim} holding shards [{string.Join(',', shards)}] with {rowsBefore.Values.Sum()} rows");

        // Written while it is down: the tail it has to apply.
        var tail = ClusterDocs.Make(vectors, "rstail", 80);
        foreach (var d in tail.Take(20))
        {
            await http.UpsertAsync(C, d.Id, d.Body());
        }

        await http.BulkOkAsync(C, tail.Skip(20).Select(d => d.Line()));
        var all = docs.Concat(tail).Select(d => d.Id).ToHashSet();

        await victim.StartAsync(TimeSpan.FromSeconds(60));
        cluster.Log($"restarted {victim}");
        var after = await cluster.WaitSettledAsync(C, replicas, TimeSpan.FromSeconds(60));
        Assert.Equal(shards, after.ShardsOn(C, victim.Name));
        await cluster.WaitReplicasCaughtUpAsync(C, collectionId, all.Count, TimeSpan.FromSeconds(60));

        // Its own replicas (asked directly) are caught up: each holds what the shard's other replica holds, tail included.
        var tailIds = tail.Select(d => d.Id).ToHashSet();
        int tailOnVictim = 0;
        using (var probe = new ReplicaProbe(victim.Url))
        {
            foreach (var shard in shards)
            {
                var stats = await probe.StatsAsync(collectionId, shard, TimeSpan.FromSeconds(10));
                Assert.True(stats.Lag == 0 && stats.State == "serving", $"{victim} shard {shard} after the restart: {stats}");
                var mine = (await probe.KeywordAsync(collectionId, shard, ClusterDocs.CommonWord, all.Count, TimeSpan.FromSeconds(10))).Select(h => h.Id).ToHashSet();
                var other = cluster.Workers.Single(w => w.Name == after.Collection(C).Shards.Single(s => s.Shard == shard).Replicas.First(r => r.Node != victim.Name).Node);
                using var otherProbe = new ReplicaProbe(other.Url);
                var theirs = (await otherProbe.KeywordAsync(collectionId, shard, ClusterDocs.CommonWord, all.Count, TimeSpan.FromSeconds(10))).Select(h => h.Id).ToHashSet();
                Assert.True(mine.SetEquals(theirs), $"shard {shard}: {victim} holds {mine.Count} docs, {other} holds {theirs.Count}; missing on the restarted one: [{string.Join(',', theirs.Except(mine).Take(20))}]");
                tailOnVictim += mine.Count(tailIds.Contains);
            }
        }

        Assert.True(tailOnVictim > 0, $"none of the {tail.Count} docs written while {victim} was down is on its shards [{string.Join(',', shards)}]");

        // The restart reopened the rows each shard file had; it did not rebuild from an empty file.
        string log = victim.LogText();
        foreach (var shard in shards)
        {
            var opened = OpenedLine(C, shard).Match(log);
            Assert.True(opened.Success, $"no 'Shard {C}/{shard} opened: N rows' line in {victim.LogPath}:\n{victim.LogTail()}");
            long rows = long.Parse(opened.Groups["rows"].Value, CultureInfo.InvariantCulture);
            Assert.True(rows == rowsBefore[shard], $"shard {shard} reopened with {rows} rows, had {rowsBefore[shard]} before the stop: '{opened.Value}'");
        }

        Assert.Null(await ClusterDocs.IncompletenessAsync(http, C, ClusterDocs.KeywordAll(all.Count, 5000), all));
        Assert.Equal(all.Count, await http.DocCountAsync(C));

        // /cluster says so too: the restarted worker's replicas serve with lag 0.
        await cluster.WaitSettledAsync(C, replicas, TimeSpan.FromSeconds(20), lagZero: true);
    }

    private static Regex OpenedLine(string collection, int shard) =>
        new($@"Shard {Regex.Escape(collection)}/{shard} opened: (?<rows>\d+) rows[^\r\n]*", RegexOptions.CultureInvariant);
}
