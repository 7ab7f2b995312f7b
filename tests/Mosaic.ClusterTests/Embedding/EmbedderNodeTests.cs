using System.Net;
using Mosaic.ClusterTests.Cluster;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Embedding;

/// <summary><c>mosaic embedder</c> nodes: registered with a lease, used by coordinators, and a kill -9 of one loses no write.</summary>
[Collection(SecondClusterCollection.Name)]
public sealed class EmbedderNodeTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    private const string C = "embednodes";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public Task Two_embedders_share_the_writes_and_one_killed_minus_9_under_load_fails_no_write() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec { Workers = 1, Coordinators = 1 }, async (cluster, seed) =>
        {
            using var logs = new TempDirectory("mosaic-embedders");
            var embedders = Enumerable.Range(1, 2).Select(i => Embedder(cluster, logs, i)).ToList();
            try
            {
                var coordinator = cluster.Http(0);
                await StartAsync(coordinator, embedders);
                await coordinator.CreateCollectionAsync(C, new { embed = new { model = "minilm" }, shards = 2, replicas = 1 });
                await cluster.WaitSettledAsync(C, replicas: 1, TimeSpan.FromSeconds(60));

                // 4 writers of text-only documents (single PUTs and bulks of 4); embedder 1 is killed once both have served.
                var http = embedders.Select(e => new MosaicHttp(e.Url, TimeSpan.FromSeconds(10))).ToList();
                bool bothServed = false, killed = false;
                int written = 0;
                var (requests, failures) = await EmbeddingLoad.RunAsync(
                    clients: 4,
                    async (client, i) =>
                    {
                        int n = (client * 1000) + (i * 4);
                        if (client == 0 && !killed && bothServed)
                        {
                            embedders[0].Kill();
                            killed = true;
                            cluster.Log($"killed {embedders[0]}");
                        }
                        else if (client == 0 && !bothServed && i % 4 == 0)
                        {
                            bothServed = (await Task.WhenAll(http.Select(EmbeddingLoad.StatsAsync))).All(s => EmbeddingLoad.Counter(s, "model_texts") > 0);
                        }

                        var r = i % 2 == 0
                            ? await coordinator.PutAsync($"collections/{C}/docs/p{n}", new { text = EmbeddingLoad.Sentence(n % 512) })
                            : await coordinator.BulkAsync(C, Enumerable.Range(n, 4).Select(k => MosaicHttp.Line(new { id = $"b{k}", text = EmbeddingLoad.Sentence(k % 512) })));
                        if (r.Status == HttpStatusCode.OK)
                        {
                            Interlocked.Add(ref written, i % 2 == 0 ? 1 : 4);
                        }

                        return r;
                    },
                    stop: done => killed && done >= 100);
                Assert.True(killed, $"the load gave up before both embedders served and one was killed ({requests} writes, {failures.Count} failed)");
                Assert.True(failures.Count == 0, $"{failures.Count} of {requests} writes failed with an embedder killed:\n{string.Join("\n", failures.Take(10))}");
                Assert.Equal(written, await coordinator.DocCountAsync(C));

                // The coordinator never ran the model itself: the embedders did all of it, and the survivor still does.
                var own = await EmbeddingLoad.StatsAsync(coordinator);
                Assert.Equal(0, EmbeddingLoad.Counter(own, "model_texts"));
                Assert.True(EmbeddingLoad.Counter(own, "remote_calls") > 0);
                long survivorBefore = EmbeddingLoad.Counter(await EmbeddingLoad.StatsAsync(http[1]), "model_texts");
                var answer = await coordinator.SearchAsync(C, new { mode = "vector", query = "a lighthouse painted by the people of the port", top_k = 5 });
                Assert.NotEmpty(MosaicHttp.HitIds(answer));
                Assert.Equal(survivorBefore + 1, EmbeddingLoad.Counter(await EmbeddingLoad.StatsAsync(http[1]), "model_texts"));
                http.ForEach(h => h.Dispose());
            }
            finally
            {
                foreach (var embedder in embedders)
                {
                    await embedder.DisposeAsync();
                }
            }
        });

    [Fact]
    public Task Texts_over_the_request_limit_together_are_sent_to_the_embedder_node_in_calls_it_accepts() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec { Workers = 1, Coordinators = 1, CoordinatorArgs = [MinimumLimit] }, async (cluster, seed) =>
        {
            using var logs = new TempDirectory("mosaic-embedder-limit");
            await using var embedder = Embedder(cluster, logs, 1, MinimumLimit);
            var coordinator = cluster.Http(0);
            await StartAsync(coordinator, [embedder]);
            await coordinator.CreateCollectionAsync(C, new { embed = new { model = "minilm" }, shards = 1, replicas = 1 });
            await cluster.WaitSettledAsync(C, replicas: 1, TimeSpan.FromSeconds(60));

            // 6 documents of 20,000 characters: 120,000 together, over the node's 100,000 for one call, each far under it.
            var docs = Enumerable.Range(0, 6).Select(i => MosaicHttp.Line(new { id = $"long{i}", text = LongText(i, 20_000) })).ToList();
            var (written, _) = await coordinator.BulkOkAsync(C, docs);
            Assert.Equal(6, written);
            using var node = new MosaicHttp(embedder.Url);
            Assert.Equal(6, EmbeddingLoad.Counter(await EmbeddingLoad.StatsAsync(node), "model_texts"));
            Assert.True(EmbeddingLoad.Counter(await EmbeddingLoad.StatsAsync(coordinator), "remote_failures") == 0, "no call to the node was refused");

            // The coordinator's own /v1/embeddings holds requests to the same limit.
            (await coordinator.PostAsync("v1/embeddings", new { model = "minilm", input = Enumerable.Range(0, 6).Select(i => LongText(i, 20_000)).ToArray() }))
                .AssertError(HttpStatusCode.RequestEntityTooLarge, "MaxRequestCharacters");
        });

    private const string MinimumLimit = "--Mosaic:Embedder:MaxRequestCharacters=100000";

    private static ClusterNode Embedder(ClusterHarness cluster, TempDirectory logs, int index, params string[] args)
    {
        int port = FreePort.Next();
        return new ClusterNode("embedder", index, port, null, logs.Path,
        [
            "embedder", "--store", cluster.Store, "--port", EmbeddingLoad.Invariant(port), "--advertise", $"127.0.0.1:{EmbeddingLoad.Invariant(port)}",
            "--Mosaic:NodeLease=00:00:03", .. args,
        ]);
    }

    /// <summary>Starts the embedders and waits until the coordinator lists them all alive.</summary>
    private static async Task StartAsync(MosaicHttp coordinator, IReadOnlyList<ClusterNode> embedders)
    {
        await Task.WhenAll(embedders.Select(e => e.StartAsync(StartTimeout)));
        await Wait.WaitUntilAsync(
            async () => (await coordinator.GetAsync("cluster")).Object["nodes"]!.AsArray().Count(n => n!["role"]!.GetValue<string>() == "embedder" && n["state"]!.GetValue<string>() == "alive") == embedders.Count,
            TimeSpan.FromSeconds(30),
            $"/cluster lists {embedders.Count} embedder(s) alive");
    }

    private static string LongText(int i, int characters) =>
        string.Concat(Enumerable.Range(0, (characters / 10) + 1).Select(j => $"word{(i * 7) + (j % 97):D3} ")).PadRight(characters)[..characters];
}
