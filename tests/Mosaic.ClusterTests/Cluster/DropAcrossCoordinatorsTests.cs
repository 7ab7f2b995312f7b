using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Cluster;

/// <summary>
/// Dropping a collection in a cluster: the coordinator that handled the DELETE answers 404 at once; another coordinator
/// never answers 503 for shards that went with the collection, and answers 404 once it has heard of the drop.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class DropAcrossCoordinatorsTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    private const int Rounds = 8;

    [Fact]
    public Task Requests_right_after_a_drop_answer_404_through_either_coordinator() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec { Workers = 1, Coordinators = 2 }, async (cluster, seed) =>
        {
            var vector = new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 2).Next();
            for (int round = 0; round < Rounds; round++)
            {
                // Alternate which coordinator drops, so each is once the owner and once the one that hears of it.
                var (owner, other) = round % 4 < 2 ? (cluster.Http(0), cluster.Http(1)) : (cluster.Http(1), cluster.Http(0));
                await DropRound.RunAsync(owner, [other], "dropped", ClusterDocs.Collection(shards: 2, replicas: 1), vector, round);
                cluster.Log($"round {round} done");
            }
        });
}
