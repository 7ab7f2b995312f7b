using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;
using static Mosaic.Testing.DocJson;

namespace Mosaic.ClusterTests.Cluster;

/// <summary>
/// PostgreSQL stopped under a write load and started again: writes answer 503 with Retry-After while it is down (never
/// a 500), succeed again once it is back, and every acknowledged write is there afterwards.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class StoreOutageTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    private const string C = "outage";

    [Fact]
    public Task Writes_get_503_with_Retry_After_during_a_store_outage_and_lose_nothing() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec { Workers = 2, Coordinators = 1 }, async (cluster, seed) =>
        {
            var http = cluster.Http();
            var vectors = new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 4);
            await ClusterDocs.CreateAndLoadAsync(http, C, ClusterDocs.Collection(shards: 4, replicas: 1), ClusterDocs.Make(vectors, "pre", 20));
            await cluster.WaitSettledAsync(C, replicas: 1, TimeSpan.FromSeconds(60));

            using var client = new HttpClient { BaseAddress = new Uri(cluster.Coordinators[0].Url), Timeout = TimeSpan.FromSeconds(30) };
            var acked = new ConcurrentDictionary<string, TestDoc>();
            var problems = new ConcurrentQueue<string>();
            int unavailable = 0;
            int phase = 0; // 0 before the outage, 1 during, 2 after
            var ackedAfter = new int[4];
            using var stop = new CancellationTokenSource();

            // Four writers, each PUTting its own new documents one after another; a 503 is retried (the same document)
            // after a short pause, anything else but 200 is a problem.
            var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
            {
                var mine = ClusterDocs.Make(new ClusteredVectors(seed + w, ClusterDocs.Dimension, clusters: 4), $"w{w}", 100_000);
                foreach (var d in mine)
                {
                    while (true)
                    {
                        if (stop.IsCancellationRequested)
                        {
                            return;
                        }

                        HttpResponseMessage r;
                        try
                        {
                            r = await client.PutAsync($"collections/{C}/docs/{d.Id}", new StringContent(d.Body().ToJsonString(), Encoding.UTF8, "application/json"));
                        }
                        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                        {
                            problems.Enqueue($"{d.Id}: no answer ({ex.GetType().Name}: {ex.Message})");
                            return;
                        }

                        using (r)
                        {
                            string body = await r.Content.ReadAsStringAsync();
                            if (r.StatusCode == HttpStatusCode.OK)
                            {
                                acked[d.Id] = d;
                                if (Volatile.Read(ref phase) == 2)
                                {
                                    Interlocked.Increment(ref ackedAfter[w]);
                                }

                                await Task.Delay(20); // a steady trickle keeps the total within one search's top_k
                                break;
                            }

                            if (r.StatusCode == HttpStatusCode.ServiceUnavailable)
                            {
                                Interlocked.Increment(ref unavailable);
                                if (r.Headers.RetryAfter?.Delta is not { } delta || delta < TimeSpan.FromSeconds(1))
                                {
                                    problems.Enqueue($"{d.Id}: 503 without a Retry-After of at least 1 s: {body}");
                                }

                                if (JsonNode.Parse(body) is not JsonObject { } error || error["error"] is null || error["detail"] is null)
                                {
                                    problems.Enqueue($"{d.Id}: 503 body is not {{error, detail}}: {body}");
                                }

                                await Task.Delay(100);
                                continue;
                            }

                            problems.Enqueue($"{d.Id}: {(int)r.StatusCode} {body}");
                            return;
                        }
                    }
                }
            })).ToList();

            await Wait.WaitUntilAsync(() => Task.FromResult(acked.Count >= 20), TimeSpan.FromSeconds(60), "20 writes acknowledged before the outage");
            cluster.Log($"stopping PostgreSQL with {acked.Count} writes acknowledged");
            Volatile.Write(ref phase, 1);
            await postgres.Server.StopAsync();
            try
            {
                await Wait.WaitUntilAsync(() => Task.FromResult(Volatile.Read(ref unavailable) >= 8), TimeSpan.FromSeconds(60), "writes answered 503 while the store is down");
                Assert.True(problems.IsEmpty, string.Join('\n', problems.Take(10)));
            }
            finally
            {
                await postgres.Server.StartAgainAsync();
                cluster.Log($"PostgreSQL started again; {Volatile.Read(ref unavailable)} answers were 503");
            }

            Volatile.Write(ref phase, 2);
            await Wait.WaitUntilAsync(
                () => Task.FromResult(Enumerable.Range(0, 4).All(w => Volatile.Read(ref ackedAfter[w]) >= 5) || !problems.IsEmpty),
                TimeSpan.FromSeconds(90),
                "every writer has 5 writes acknowledged after the store is back");
            await stop.CancelAsync();
            await Task.WhenAll(writers);
            Assert.True(problems.IsEmpty, $"{problems.Count} problems:\n{string.Join('\n', problems.Take(20))}");
            cluster.Log($"{acked.Count} writes acknowledged in all");

            // Nothing acknowledged is lost: every document reads back, and the shards hold exactly them (plus the first 20).
            foreach (var d in acked.Values)
            {
                var got = (await http.GetAsync($"collections/{C}/docs/{d.Id}")).AssertStatus(HttpStatusCode.OK).Object;
                Assert.Equal(d.Text, got["text"]!.GetValue<string>());
            }

            long expected = acked.Count + 20;
            Assert.True(expected <= 1000, $"{expected} documents: more than one search can list");
            await Wait.WaitUntilAsync(async () => await http.DocCountAsync(C) == expected, TimeSpan.FromSeconds(30), $"doc_count == {expected}");
            var last = acked.Values.First();
            string token = await http.UpsertAsync(C, last.Id, last.Body());
            var all = MosaicHttp.HitIds(await http.SearchAsync(C, ClusterDocs.KeywordAll(topK: 1000, timeoutMs: 20_000, allowPartial: false, token: token)));
            Assert.Equal(expected, all.Count);
            Assert.All(acked.Keys, id => Assert.Contains(id, all));
        });
}
