using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;
using static Mosaic.Testing.DocJson;

namespace Mosaic.ClusterTests.Cluster;

/// <summary>
/// Query-and-fetch (shards return payloads with their hits, one round) answers exactly as query-then-fetch (a second
/// round for the final hits' payloads): same hits, scores and payloads, and the same partial answers with a worker down.
/// </summary>
/// <remarks>Coordinator 1 always fetches in a second round (limit 0), coordinator 2 always in one (limit 100,000).</remarks>
[Collection(ClusterCollection.Name)]
public sealed class QueryAndFetchClusterTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    private const string C = "qaf";
    private const int SmallAnswer = 200_000;
    private const int BigText = 40_000;

    [Fact]
    public Task One_round_and_two_rounds_give_the_same_answers_and_payloads_also_with_a_worker_down() =>
        ClusterHarness.RunAsync(
            postgres,
            output,
            new ClusterSpec
            {
                Workers = 2,
                Coordinators = 2,
                // The killed worker keeps its shards (no move to the other) for the rest of the test.
                WorkerLease = _ => TimeSpan.FromSeconds(90),
                // Without the result cache: each answer comes from the shards (a cached one would outlive the worker).
                // Without rebalancing: the searches' load moved a shard off the victim while they ran (a slow box), so the
                // shards it held at the start were no longer the ones its death lost.
                // Coordinator 1 also bounds its answers low, so that the workers' fetch stops past the limit (through gRPC).
                CoordinatorArgsAt = i => [
                    $"--Mosaic:Coordinator:QueryAndFetchMaxRows={(i == 0 ? 0 : 100_000)}", "--Mosaic:Cache:Results:Enabled=false", "--Mosaic:Placement:RebalanceAbove=1000",
                    .. i == 0 ? new[] { $"--Mosaic:Coordinator:MaxAnswerBytes={SmallAnswer}", "--Mosaic:Coordinator:MaxDocumentBytes=100000" } : []],
            },
            async (cluster, seed) =>
            {
                var twoRounds = cluster.Http(0);
                var oneRound = cluster.Http(1);
                var settings = ClusterDocs.Collection(shards: 4, replicas: 1);
                settings["fields"] = new JsonObject { ["category"] = "keyword", ["price"] = "number" };
                await twoRounds.CreateCollectionAsync(C, settings);
                var view = await cluster.WaitSettledAsync(C, replicas: 1, TimeSpan.FromSeconds(60));

                var vectors = new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 4);
                var docs = ClusterDocs.Make(vectors, "qf", 80);
                var lines = docs.Select((d, i) => Line(Doc(d.Text, d.Vector, new JsonObject { ["category"] = $"c{i % 4}", ["price"] = i, ["note"] = $"n\"{i}\"" }, id: d.Id)));
                var (written, token) = await twoRounds.BulkOkAsync(C, lines);
                Assert.Equal(80, written);

                var searches = new List<JsonObject>();
                foreach (var mode in new[] { "vector", "keyword", "hybrid" })
                {
                    foreach (int topK in new[] { 3, 10, 100 })
                    {
                        foreach (var filter in new JsonNode?[] { null, new JsonObject { ["field"] = "category", ["eq"] = "c1" } })
                        {
                            var d = docs[searches.Count % docs.Count];
                            searches.Add(new JsonObject
                            {
                                ["mode"] = mode,
                                ["query"] = $"{d.Word} {ClusterDocs.CommonWord}",
                                ["vector"] = Vector(d.Vector),
                                ["top_k"] = topK,
                                ["filter"] = filter,
                                ["include"] = searches.Count % 3 == 0 ? Array("text", "fields", "vector") : searches.Count % 3 == 1 ? Array("fields") : Array(),
                                ["timeout_ms"] = 10_000,
                            });
                        }
                    }
                }

                foreach (var search in searches)
                {
                    search["consistency"] = new JsonObject { ["after"] = token };
                    var expected = await twoRounds.SearchAsync(C, search.DeepClone());
                    Assert.False(expected["partial"]!.GetValue<bool>(), expected.ToJsonString());
                    Assert.NotEmpty(expected["hits"]!.AsArray());
                    AssertSameAnswer(expected, await oneRound.SearchAsync(C, search.DeepClone()), search);
                }

                // Every hit's payload is its own document's.
                var all = (await oneRound.SearchAsync(C, searches[0].DeepClone()))["hits"]!.AsArray();
                foreach (var hit in all.Select(h => h!.AsObject()))
                {
                    int i = docs.FindIndex(d => d.Id == hit["id"]!.GetValue<string>());
                    Assert.Equal(docs[i].Text, hit["text"]!.GetValue<string>());
                    Assert.Equal($"c{i % 4}", hit["fields"]!["category"]!.GetValue<string>());
                    Assert.Equal($"n\"{i}\"", hit["fields"]!["note"]!.GetValue<string>());
                }

                // Past coordinator 1's answer limit: its workers stop fetching and it answers 400; coordinator 2 answers whole.
                const string Big = "qafbig";
                await twoRounds.CreateCollectionAsync(Big, ClusterDocs.Collection(shards: 2, replicas: 1));
                await cluster.WaitSettledAsync(Big, replicas: 1, TimeSpan.FromSeconds(60));
                var (_, bigToken) = await twoRounds.BulkOkAsync(Big, docs.Take(10).Select(d => Line(Doc(d.Text + " " + new string('x', BigText), d.Vector, id: d.Id))));
                JsonObject BigSearch(int topK) => new()
                {
                    ["vector"] = Vector(docs[0].Vector), ["top_k"] = topK, ["include"] = Array("text"), ["consistency"] = new JsonObject { ["after"] = bigToken },
                };
                (await twoRounds.PostAsync($"collections/{Big}/search", BigSearch(10))).AssertError(HttpStatusCode.BadRequest, $"{SmallAnswer}");
                var small = (await twoRounds.PostAsync($"collections/{Big}/search", BigSearch(4))).AssertStatus(HttpStatusCode.OK);
                Assert.Equal(4, small.Object["hits"]!.AsArray().Count);
                var whole = (await oneRound.PostAsync($"collections/{Big}/search", BigSearch(10))).AssertStatus(HttpStatusCode.OK);
                Assert.Equal(10, whole.Object["hits"]!.AsArray().Count);
                Assert.All(whole.Object["hits"]!.AsArray(), h => Assert.True(h!["text"]!.GetValue<string>().Length > BigText));

                // A worker down: both give the same partial answer (the same hits from the live shards, the same failures).
                var victim = cluster.Workers.Single(w => w.Name == view.Collection(C).Shards.Single(s => s.Shard == 0).Replicas[0].Node);
                var lost = view.ShardsOn(C, victim.Name).Order().ToList();
                victim.Kill();
                cluster.Log($"killed {victim}, the only holder of shards [{string.Join(',', lost)}]");
                foreach (var search in searches)
                {
                    search.Remove("consistency");
                    var expected = await twoRounds.SearchAsync(C, search.DeepClone());
                    Assert.True(expected["partial"]!.GetValue<bool>(), expected.ToJsonString());
                    Assert.Equal(lost, expected["shards"]!["failures"]!.AsArray().Select(f => f!["shard"]!.GetValue<int>()).Order());
                    AssertSameAnswer(expected, await oneRound.SearchAsync(C, search.DeepClone()), search);
                }

                // allow_partial false: both 503 with the same shard report.
                var strict = searches[0].DeepClone().AsObject();
                strict["allow_partial"] = false;
                var refusedTwo = (await twoRounds.PostAsync($"collections/{C}/search", strict.DeepClone())).AssertStatus(HttpStatusCode.ServiceUnavailable);
                var refusedOne = (await oneRound.PostAsync($"collections/{C}/search", strict.DeepClone())).AssertStatus(HttpStatusCode.ServiceUnavailable);
                Assert.Equal(refusedTwo.Object["shards"]!.ToJsonString(), refusedOne.Object["shards"]!.ToJsonString());
                Assert.Equal(refusedTwo.Object["coverage"]!.ToJsonString(), refusedOne.Object["coverage"]!.ToJsonString());
            });

    /// <summary>Everything but took_ms: hits (ids, scores, text, fields, vectors) in order, shard report, coverage, partial.</summary>
    private static void AssertSameAnswer(JsonObject expected, JsonObject actual, JsonObject search)
    {
        string what = $"search {search.ToJsonString()}";
        Assert.True(expected["hits"]!.ToJsonString() == actual["hits"]!.ToJsonString(), $"{what}: two rounds {expected["hits"]!.ToJsonString()}, one round {actual["hits"]!.ToJsonString()}");
        Assert.Equal(expected["shards"]!.ToJsonString(), actual["shards"]!.ToJsonString());
        Assert.Equal(expected["coverage"]!.ToJsonString(), actual["coverage"]!.ToJsonString());
        Assert.Equal(expected["partial"]!.ToJsonString(), actual["partial"]!.ToJsonString());
    }
}
