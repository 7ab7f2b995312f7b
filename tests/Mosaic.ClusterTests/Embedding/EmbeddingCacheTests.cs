using System.Net;
using Mosaic.ClusterTests.Cluster;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Embedding;

/// <summary>The embedding cache across real coordinators: L1 per process, L2 in a real Redis shared by them, Redis never required.</summary>
[Collection(SecondClusterCollection.Name)]
public sealed class EmbeddingCacheTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    private const string C = "embedcache";

    [Fact]
    public async Task Repeated_queries_skip_the_model_L2_is_shared_and_Redis_killed_mid_load_fails_nothing()
    {
        await using var redis = await RedisServer.StartAsync();
        // Redis calls get 2 s instead of 100 ms: on a loaded 2-core test box a slow SET would count as a failure and be dropped.
        // The result cache is off: a repeated search answered from it never reaches the query's embedding, which is under test.
        var spec = new ClusterSpec
        {
            Workers = 1,
            Coordinators = 2,
            CoordinatorArgs = ["--redis", redis.ConnectionString, "--Mosaic:Cache:L2Timeout=00:00:02", "--Mosaic:Cache:Results:Enabled=false"],
        };
        await ClusterHarness.RunAsync(postgres, output, spec, async (cluster, seed) =>
        {
            var a = cluster.Http(0);
            var b = cluster.Http(1);
            await a.CreateCollectionAsync(C, new { embed = new { model = "minilm" }, shards = 2, replicas = 1 });
            await cluster.WaitSettledAsync(C, replicas: 1, TimeSpan.FromSeconds(60));
            var (_, token) = await a.BulkOkAsync(C, Enumerable.Range(0, 16).Select(i => MosaicHttp.Line(new { id = $"d{i}", text = EmbeddingLoad.Sentence(i) })));

            // First time: coordinator A runs the model for the query. Second time: its L1 answers, the model does not run.
            const string query = "a musician took pictures of a frozen lake";
            var before = await EmbeddingLoad.StatsAsync(a);
            await a.SearchAsync(C, new { mode = "vector", query, consistency = new { after = token } });
            var first = await EmbeddingLoad.StatsAsync(a);
            Assert.Equal(EmbeddingLoad.Counter(before, "model_texts") + 1, EmbeddingLoad.Counter(first, "model_texts"));
            await a.SearchAsync(C, new { mode = "vector", query });
            var second = await EmbeddingLoad.StatsAsync(a);
            Assert.Equal(EmbeddingLoad.Counter(first, "model_texts"), EmbeddingLoad.Counter(second, "model_texts"));
            Assert.Equal(EmbeddingLoad.Counter(first, "l1_hits") + 1, EmbeddingLoad.Counter(second, "l1_hits"));

            // Coordinator B has never seen the query: Redis (L2) has A's vector, so B's model does not run either.
            await Wait.WaitUntilAsync(async () => await EmbeddingKeysAsync(redis) >= 17, TimeSpan.FromSeconds(30), "the 16 document and 1 query embeddings are in Redis");
            var bBefore = await EmbeddingLoad.StatsAsync(b);
            var fromB = await b.SearchAsync(C, new { mode = "vector", query, top_k = 3 });
            var bAfter = await EmbeddingLoad.StatsAsync(b);
            Assert.Equal(EmbeddingLoad.Counter(bBefore, "model_texts"), EmbeddingLoad.Counter(bAfter, "model_texts"));
            Assert.Equal(EmbeddingLoad.Counter(bBefore, "l2_hits") + 1, EmbeddingLoad.Counter(bAfter, "l2_hits"));
            Assert.Equal(MosaicHttp.HitIds(await a.SearchAsync(C, new { mode = "vector", query, top_k = 3 })), MosaicHttp.HitIds(fromB));

            // Searches (new and repeated queries) and text-only writes through both coordinators; Redis is killed halfway.
            var killed = new TaskCompletionSource();
            var (requests, failures) = await EmbeddingLoad.RunAsync(
                clients: 4,
                async (client, i) =>
                {
                    var http = client % 2 == 0 ? a : b;
                    int n = (client * 1000) + i;
                    if (i == 12 && client == 0)
                    {
                        await redis.KillAsync();
                        cluster.Log("killed redis-server");
                        killed.SetResult();
                    }

                    return i % 3 == 0
                        ? await http.PutAsync($"collections/{C}/docs/w{n}", new { text = EmbeddingLoad.Sentence(n % 512) + " (write)" })
                        : await http.PostAsync($"collections/{C}/search", new { query = EmbeddingLoad.Sentence(i % 40), top_k = 3 });
                },
                stop: done => done >= 72 && killed.Task.IsCompleted);
            Assert.False(redis.IsRunning);
            Assert.True(failures.Count == 0, $"{failures.Count} of {requests} requests failed with Redis killed mid-load:\n{string.Join("\n", failures.Take(10))}");
            Assert.True(requests >= 72);
        });
    }

    /// <summary>How many embeddings Redis holds (KEYS is fine on a test server with a few hundred keys).</summary>
    private static async Task<int> EmbeddingKeysAsync(RedisServer redis)
    {
        string reply = await redis.SendAsync("KEYS *emb:minilm:256:*");
        return reply.StartsWith('*') ? int.Parse(reply.AsSpan(1, reply.IndexOf('\r', StringComparison.Ordinal) - 1), System.Globalization.CultureInfo.InvariantCulture) : -1;
    }
}
