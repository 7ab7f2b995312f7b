using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Cluster;

/// <summary>
/// Consistency tokens are checked without the store: with PostgreSQL stopped, searches carrying tokens this coordinator
/// issued still answer complete (the workers hold the data and wait for the token themselves). A coordinator that read
/// the slot heads per search would fail every one of them. With PostgreSQL hanging (SIGSTOP), searches do not wait on it.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class TokensDuringStoreOutageTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    private const string C = "tokens_outage";

    [Fact]
    public Task Searches_with_issued_tokens_answer_complete_while_the_store_is_down() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec { Workers = 2, Coordinators = 1 }, async (cluster, seed) =>
        {
            var http = cluster.Http();
            var vectors = new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 4);
            var docs = ClusterDocs.Make(vectors, "tok", 25); // one bulk, so its token covers every document
            string bulkToken = await ClusterDocs.CreateAndLoadAsync(http, C, ClusterDocs.Collection(shards: 4, replicas: 1), docs);
            var last = docs[^1];
            string putToken = await http.UpsertAsync(C, last.Id, last.Body());
            await cluster.WaitSettledAsync(C, replicas: 1, TimeSpan.FromSeconds(60), lagZero: true);
            var all = docs.Select(d => d.Id).ToHashSet();
            // Every write applied before the store goes: a shard cannot catch up without it, and would wait out the token.
            await http.SearchAsync(C, ClusterDocs.Keyword(docs[0].Word, bulkToken, timeoutMs: 30_000));
            await http.SearchAsync(C, ClusterDocs.Keyword(last.Word, putToken, timeoutMs: 30_000));

            cluster.Log("stopping PostgreSQL");
            await postgres.Server.StopAsync();
            try
            {
                // Every search differs (its own word), so no cached answer stands in for the read path.
                foreach (var (d, i) in docs.Select((d, i) => (d, i)))
                {
                    string token = i % 2 == 0 ? bulkToken : putToken;
                    var answer = await http.SearchAsync(C, ClusterDocs.Keyword(d.Word, token, timeoutMs: 20_000));
                    Assert.Equal([d.Id], MosaicHttp.HitIds(answer));
                    Assert.False(answer["partial"]!.GetValue<bool>(), answer.ToJsonString());
                }

                string? incomplete = await ClusterDocs.IncompletenessAsync(http, C, ClusterDocs.KeywordAll(topK: 100, timeoutMs: 20_000, allowPartial: false, token: putToken), all);
                Assert.True(incomplete is null, incomplete);
            }
            finally
            {
                await postgres.Server.StartAgainAsync();
                cluster.Log("PostgreSQL started again");
            }
        });

    [Fact]
    public Task Searches_with_and_without_tokens_answer_complete_while_the_store_hangs() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec { Workers = 2, Coordinators = 1 }, async (cluster, seed) =>
        {
            var http = cluster.Http();
            var docs = ClusterDocs.Make(new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 4), "hang", 20);
            string token = await ClusterDocs.CreateAndLoadAsync(http, C, ClusterDocs.Collection(shards: 4, replicas: 1), docs);
            await cluster.WaitSettledAsync(C, replicas: 1, TimeSpan.FromSeconds(60), lagZero: true);
            await http.SearchAsync(C, ClusterDocs.Keyword(docs[0].Word, token, timeoutMs: 30_000)); // every write applied

            // A hung store accepts connections and answers nothing (the driver would wait 15-30 s): searches must not wait
            // for it. The client gives up after 12 s, well below the driver's timeouts, so a search stuck on the store fails.
            using var impatient = new MosaicHttp(cluster.Coordinators[0].Url, TimeSpan.FromSeconds(12));
            int postmaster = int.Parse(File.ReadLines(Path.Combine(postgres.Server.DataDirectory, "postmaster.pid")).First(), System.Globalization.CultureInfo.InvariantCulture);
            var stopped = new List<int> { postmaster };
            stopped.AddRange(ProcessTree.Descendants(postmaster));
            cluster.Log($"SIGSTOP to PostgreSQL's {stopped.Count} processes");
            stopped.ForEach(pid => Signals.Send(pid, Signals.Stop));
            try
            {
                foreach (var (d, i) in docs.Select((d, i) => (d, i)))
                {
                    var answer = await impatient.SearchAsync(C, ClusterDocs.Keyword(d.Word, i % 2 == 0 ? token : null, timeoutMs: 5_000));
                    Assert.Equal([d.Id], MosaicHttp.HitIds(answer));
                    Assert.False(answer["partial"]!.GetValue<bool>(), answer.ToJsonString());
                }
            }
            finally
            {
                stopped.ForEach(pid => Signals.Send(pid, Signals.Cont));
                cluster.Log("SIGCONT to PostgreSQL");
            }
        });
}
