using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;
using static Mosaic.Testing.DocJson;

namespace Mosaic.ClusterTests.Cluster;

/// <summary>Scenario 1: a write through one coordinator is visible through another at once, given the write's token.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ReadYourWritesAcrossCoordinatorsTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    private const string C = "ryw";

    [Fact]
    public Task Every_write_through_one_coordinator_is_found_through_the_other() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec { Workers = 3, Coordinators = 2 }, async (cluster, seed) =>
        {
            var (a, b) = (cluster.Http(0), cluster.Http(1));
            await a.CreateCollectionAsync(C, ClusterDocs.Collection(shards: 8, replicas: 2));
            await cluster.WaitSettledAsync(C, replicas: 2, TimeSpan.FromSeconds(60));

            cluster.Log("collection settled");
            var docs = ClusterDocs.Make(new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 6), "ryw", 96);
            var problems = new ConcurrentQueue<string>();

            // Writes alternate direction (A -> B, B -> A) and kind (single PUT, bulk of 4), 4 writers at a time; each is
            // read back through the other coordinator right after its acknowledgement, before anything else waits.
            var groups = docs.Chunk(4).Select((g, i) => (Docs: g, Index: i)).ToList();
            await Parallel.ForEachAsync(groups, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (group, _) =>
            {
                var (writer, reader) = group.Index % 2 == 0 ? (a, b) : (b, a);
                var tokens = new List<(TestDoc Doc, string Token)>();
                if (group.Index % 4 < 2)
                {
                    foreach (var d in group.Docs)
                    {
                        tokens.Add((d, await writer.UpsertAsync(C, d.Id, d.Body())));
                    }
                }
                else
                {
                    var (written, token) = await writer.BulkOkAsync(C, group.Docs.Select(d => d.Line()));
                    Assert.Equal(group.Docs.Length, written);
                    tokens.AddRange(group.Docs.Select(d => (d, token)));
                }

                foreach (var (d, token) in tokens)
                {
                    await CheckVisibleAsync(reader, d, d.Text, token, problems);
                }
            });

            cluster.Log($"{docs.Count} writes read back");

            // Overwrites: the other coordinator must show the new version, never the old one.
            foreach (var (d, i) in docs.Take(24).Select((d, i) => (d, i)))
            {
                var (writer, reader) = i % 2 == 0 ? (a, b) : (b, a);
                string text = $"{ClusterDocs.CommonWord} {d.Word} updated{d.Word}";
                string token = await writer.UpsertAsync(C, d.Id, Doc(text, d.Vector));
                await CheckVisibleAsync(reader, d, text, token, problems);
                var old = MosaicHttp.HitIds(await reader.SearchAsync(C, ClusterDocs.Keyword($"updated{d.Word}", token)));
                if (!old.Contains(d.Id))
                {
                    problems.Enqueue($"{d.Id}: the updated text is not found via {reader.BaseUrl} after its token");
                }
            }

            cluster.Log("24 overwrites read back");
            Assert.True(problems.IsEmpty, $"{problems.Count} read-your-writes violations across coordinators:\n{string.Join('\n', problems.Take(20))}");
            Assert.Equal(docs.Count, await a.DocCountAsync(C));
            Assert.Equal(docs.Count, await b.DocCountAsync(C));
        });

    /// <summary>GET by id, keyword search for its own word and vector search for its own vector, both after the token.</summary>
    private static async Task CheckVisibleAsync(MosaicHttp reader, TestDoc d, string text, string token, ConcurrentQueue<string> problems)
    {
        var get = await reader.GetAsync($"collections/{C}/docs/{d.Id}");
        if (get.Status != HttpStatusCode.OK || get.Object["text"]?.GetValue<string>() != text)
        {
            problems.Enqueue($"GET {d.Id} via {reader.BaseUrl}: {get.Describe()} (expected text '{text}')");
        }

        var keyword = await reader.SearchAsync(C, ClusterDocs.Keyword(d.Word, token));
        var hit = (keyword["hits"] as JsonArray)?.FirstOrDefault(h => h!["id"]!.GetValue<string>() == d.Id);
        if (hit is null || hit["text"]?.GetValue<string>() != text || keyword["partial"]?.GetValue<bool>() != false)
        {
            problems.Enqueue($"keyword '{d.Word}' after token via {reader.BaseUrl}: {keyword.ToJsonString()} (expected {d.Id} with '{text}')");
        }

        var vector = await reader.SearchAsync(C, new JsonObject
        {
            ["mode"] = "vector",
            ["vector"] = Vector(d.Vector),
            ["top_k"] = 1,
            ["consistency"] = new JsonObject { ["after"] = token },
            ["include"] = new JsonArray(),
        });
        var ids = MosaicHttp.HitIds(vector);
        if (ids.Count == 0 || ids[0] != d.Id)
        {
            problems.Enqueue($"vector search for {d.Id}'s own vector after token via {reader.BaseUrl}: [{string.Join(',', ids)}]");
        }
    }
}
