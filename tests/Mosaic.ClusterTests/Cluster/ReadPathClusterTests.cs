using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;
using static Mosaic.Testing.DocJson;

namespace Mosaic.ClusterTests.Cluster;

/// <summary>The read path across processes: query-then-fetch over gRPC.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ReadPathClusterTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    [Fact]
    public Task Payloads_of_the_final_hits_come_back_from_remote_shards() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec { Workers = 2, Coordinators = 1 }, async (cluster, seed) =>
        {
            const string C = "fetch";
            var http = cluster.Http();
            var settings = ClusterDocs.Collection(shards: 4, replicas: 1);
            settings["fields"] = new JsonObject { ["category"] = "keyword", ["price"] = "number" };
            await http.CreateCollectionAsync(C, settings);
            await cluster.WaitSettledAsync(C, replicas: 1, TimeSpan.FromSeconds(60));

            var docs = ClusterDocs.Make(new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 4), "fe", 40);
            var lines = docs.Select((d, i) => Line(Doc(d.Text, d.Vector, new JsonObject { ["category"] = $"c{i % 3}", ["price"] = i }, id: d.Id)));
            var (written, token) = await http.BulkOkAsync(C, lines);
            Assert.Equal(40, written);

            foreach (var (d, i) in docs.Select((d, i) => (d, i)).Where(x => x.i % 7 == 0))
            {
                var stored = (await http.GetAsync($"collections/{C}/docs/{d.Id}")).AssertStatus(HttpStatusCode.OK).Object;
                foreach (var mode in new[] { "keyword", "hybrid", "vector" })
                {
                    var answer = await http.SearchAsync(C, new JsonObject
                    {
                        ["mode"] = mode,
                        ["query"] = d.Word,
                        ["vector"] = Vector(d.Vector),
                        ["top_k"] = 5,
                        ["include"] = new JsonArray("text", "fields", "vector"),
                        ["consistency"] = new JsonObject { ["after"] = token },
                    });
                    Assert.False(answer["partial"]!.GetValue<bool>(), answer.ToJsonString());
                    var hits = answer["hits"]!.AsArray();
                    Assert.InRange(hits.Count, 1, 5);
                    var top = hits[0]!.AsObject();
                    Assert.Equal(d.Id, top["id"]!.GetValue<string>());
                    Assert.Equal(d.Text, top["text"]!.GetValue<string>());
                    Assert.Equal($"c{i % 3}", top["fields"]!["category"]!.GetValue<string>());
                    Assert.Equal(i, top["fields"]!["price"]!.GetValue<double>());
                    Assert.Equal(stored["vector"]!.ToJsonString(), top["vector"]!.ToJsonString());

                    // Every hit carries its own payload, not a neighbour's.
                    foreach (var hit in hits.Select(h => h!.AsObject()))
                    {
                        var expected = docs.Single(x => x.Id == hit["id"]!.GetValue<string>());
                        Assert.Equal(expected.Text, hit["text"]!.GetValue<string>());
                    }
                }
            }

            // Without include, hits are ids and scores only.
            var bare = await http.SearchAsync(C, new JsonObject { ["mode"] = "keyword", ["query"] = ClusterDocs.CommonWord, ["top_k"] = 50, ["include"] = new JsonArray() });
            Assert.Equal(40, bare["hits"]!.AsArray().Count);
            Assert.All(bare["hits"]!.AsArray(), h => Assert.Null(h!["text"]));
        });
}
