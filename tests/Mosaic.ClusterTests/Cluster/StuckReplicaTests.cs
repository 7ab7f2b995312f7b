using System.Globalization;
using System.Net;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Cluster;

/// <summary>
/// A worker that cannot write its shard files falls behind the log while the store (PostgreSQL) goes on taking writes:
/// its file-size limit is lowered to one byte, so every write it makes fails as on a full disk (the node handles
/// SIGXFSZ, so it keeps running). Searches without a token must go on answering completely from what it holds, and
/// must not be cached that way; a reader's token is not answered without its writes; once the worker can write again
/// it catches up, and the answers hold the new documents.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class StuckReplicaTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    private const string C = "stuck";
    // Generous: the old behaviour (waiting for the stuck replicas) fails at any deadline, and a loaded box needs slack.
    private const int TimeoutMs = 8000;

    [Fact]
    public Task Searches_answer_from_a_replica_that_cannot_write_and_it_catches_up_once_it_can() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec { Workers = 2, Coordinators = 1 }, async (cluster, seed) =>
        {
            var http = cluster.Http();
            var vectors = new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 6);
            var docs = ClusterDocs.Make(vectors, "st", 120);
            string loaded = await ClusterDocs.CreateAndLoadAsync(http, C, ClusterDocs.Collection(shards: 4, replicas: 1), docs);
            var view = await cluster.WaitSettledAsync(C, replicas: 1, TimeSpan.FromSeconds(60), lagZero: true);
            var before = docs.Select(d => d.Id).ToHashSet();
            await WaitCompleteAsync(http, ClusterDocs.KeywordAll(before.Count, TimeoutMs), before, "before the worker is stuck");

            var stuck = cluster.Workers[0];
            var stuckShards = view.ShardsOn(C, stuck.Name);
            Assert.True(stuckShards.Count > 0, $"no shard of '{C}' on {stuck}:\n{view.Describe(C)}");
            await SetFileSizeLimitAsync(stuck.Pid, "1");
            cluster.Log($"file-size limit of {stuck} set to 1 byte");

            var more = ClusterDocs.Make(vectors, "stnew", 60);
            var (written, token) = await http.BulkOkAsync(C, more.Select(d => d.Line()));
            Assert.Equal(more.Count, written);
            long collectionId = ReplicaProbe.CollectionIdOf(loaded);
            using var probe = new ReplicaProbe(stuck.Url);
            await Wait.WaitUntilAsync(
                async () =>
                {
                    foreach (int shard in stuckShards)
                    {
                        if (await probe.TryStatsAsync(collectionId, shard, TimeSpan.FromSeconds(5)) is { Lag: > 0 })
                        {
                            return true;
                        }
                    }

                    return false;
                },
                TimeSpan.FromSeconds(30),
                $"a replica on {stuck} behind the log");

            // Without a token: complete answers (every shard answered, coverage 1) from what each replica holds. The result
            // cache pins its misses to the store's heads, which the stuck replicas cannot reach: before, each such search
            // waited for them until its deadline and came back partial.
            var all = before.Concat(more.Select(d => d.Id)).ToHashSet();
            for (int round = 0; round < 3; round++)
            {
                foreach (var search in new[] { ClusterDocs.KeywordAll(all.Count, TimeoutMs), ClusterDocs.VectorAll(vectors.Next(), all.Count, TimeoutMs) })
                {
                    var r = await http.PostAsync($"collections/{C}/search", search);
                    Assert.True(r.Status == HttpStatusCode.OK, $"{search["mode"]} search while {stuck} cannot write: {r.Describe()}");
                    var o = r.Object;
                    Assert.True(
                        o["partial"]?.GetValue<bool>() == false && o["shards"]?["failed"]?.GetValue<int>() == 0 && o["coverage"]?.GetValue<double>() == 1.0,
                        $"{search["mode"]} search while {stuck} cannot write is not complete: {o.ToJsonString()}");
                    var ids = MosaicHttp.HitIds(o);
                    Assert.Empty(before.Except(ids));
                    Assert.Empty(ids.Except(all));
                    Assert.True(ids.Count < all.Count, $"every new document was found although {stuck} cannot write: the scenario did not happen");
                }
            }

            // A reader's token asks for the new writes, which the stuck replicas do not have: never answered complete without them.
            var withToken = await http.PostAsync($"collections/{C}/search", ClusterDocs.KeywordAll(all.Count, 1500, token: token));
            Assert.True(
                withToken.Status == HttpStatusCode.ServiceUnavailable || withToken.Object["partial"]?.GetValue<bool>() == true,
                $"a search after the token was answered as complete while {stuck} cannot apply its writes: {withToken.Describe()}");

            // It can write again: it applies what it missed, and answers (cached or not) hold every document.
            await SetFileSizeLimitAsync(stuck.Pid, "unlimited");
            cluster.Log($"file-size limit of {stuck} lifted");
            await cluster.WaitSettledAsync(C, replicas: 1, TimeSpan.FromSeconds(60), lagZero: true);
            await WaitCompleteAsync(http, ClusterDocs.KeywordAll(all.Count, TimeoutMs), all, "after the worker can write again");
            await WaitCompleteAsync(http, ClusterDocs.KeywordAll(all.Count, TimeoutMs, token: token), all, "after the token, once the worker can write again");
            Assert.True(stuck.IsRunning, $"{stuck} exited while it could not write:\n{stuck.LogTail()}");

            // It retried every second while it could not write, and said so once per replica, not once per retry.
            string log = stuck.LogText();
            int failureLines = log.Split('\n').Count(line => line.Contains("failed to apply changes", StringComparison.Ordinal));
            Assert.True(failureLines is > 0 && failureLines <= 2 * stuckShards.Count, $"{failureLines} 'failed to apply changes' lines for {stuckShards.Count} stuck replicas");
            Assert.Contains("applies changes again after", log, StringComparison.Ordinal);
        });

    /// <summary>Complete answers (a first search on a fresh process can pass its deadline on a loaded box while it compiles).</summary>
    private static async Task WaitCompleteAsync(MosaicHttp http, System.Text.Json.Nodes.JsonObject search, IReadOnlySet<string> expected, string when)
    {
        string? problem = null;
        await Wait.WaitUntilAsync(
            async () => (problem = await ClusterDocs.IncompletenessAsync(http, C, search, expected)) is null,
            TimeSpan.FromSeconds(60),
            $"complete answers {when} (last: {problem})");
    }

    /// <summary>Sets the soft file-size limit (RLIMIT_FSIZE) of a running process with util-linux's prlimit.</summary>
    private static async Task SetFileSizeLimitAsync(int pid, string bytes)
    {
        var result = await ChildProcess.RunAsync("prlimit", ["--pid", pid.ToString(CultureInfo.InvariantCulture), $"--fsize={bytes}:unlimited"], TimeSpan.FromSeconds(10));
        Assert.True(result.ExitCode == 0, $"prlimit --pid {pid} --fsize={bytes}: {result.Output}");
    }
}
