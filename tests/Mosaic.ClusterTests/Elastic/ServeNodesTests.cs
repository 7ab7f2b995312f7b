using Mosaic.ClusterTests.Cluster;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Elastic;

/// <summary>Issue 7: two `mosaic serve --store` processes share one PostgreSQL, hold shards between them and answer for each other.</summary>
[Collection(SecondClusterCollection.Name)]
public sealed class ServeNodesTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    [Fact]
    public Task Everything_written_through_one_serve_node_is_found_through_the_other() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec { Workers = 0, Coordinators = 0, ServeNodes = 2 }, async (cluster, seed) =>
        {
            const string C = "serves";
            var vectors = new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 4);
            var docs = ClusterDocs.Make(vectors, "v", 200);
            string token = await Elastic.LoadAsync(cluster.Http(0), C, Elastic.Collection(shards: 4, replicas: 1), docs, bulk: 50);

            // Both serve nodes hold shards: answers through either need the other's replicas over gRPC.
            var view = await Elastic.WaitViewAsync(
                cluster,
                C,
                v => v.Collection(C).Shards.All(s => s.Replicas.Count == 1 && s.Replicas[0].State == "serving")
                    && v.Collection(C).Shards.Select(s => s.Replicas[0].Node).Distinct().Count() == 2,
                TimeSpan.FromSeconds(90),
                "4 shards serving, spread over both serve nodes");
            cluster.Log(view.Describe(C));
            var expected = docs.Select(d => d.Id).ToHashSet();
            foreach (int node in new[] { 0, 1 })
            {
                await Wait.WaitUntilAsync(
                    async () => await ClusterDocs.IncompletenessAsync(cluster.Http(node), C, ClusterDocs.KeywordAll(1000, 10_000, token: token), expected) is null,
                    TimeSpan.FromSeconds(60),
                    $"complete answers through serve node {node + 1}");
            }
        });
}
