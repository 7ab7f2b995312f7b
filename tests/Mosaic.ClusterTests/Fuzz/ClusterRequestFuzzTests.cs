using Mosaic.ClusterTests.Cluster;
using Mosaic.Testing;
using Mosaic.Testing.Fuzz;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Fuzz;

/// <summary>
/// The generative bad-input run (<see cref="FuzzScenario"/>) against a real cluster: a <c>mosaic coordinator</c> and two
/// <c>mosaic worker</c>s over PostgreSQL, keys on. Everything is healthy, so any 5xx is a bug; afterwards the seeded
/// collections are exactly as before. Then every route with bad credentials and roles too low (<see cref="KeyFuzz"/>),
/// checked against the keys in PostgreSQL.
/// </summary>
/// <remarks>Smaller than the embedded run (<see cref="Cases"/> cases, <see cref="SweepPerPath"/> values per path): the whole
/// cluster suite has a CI budget, and the embedded run already gives the coordinator's shared validation every value; here
/// every field of every route still reaches PostgreSQL and the workers several ways.</remarks>
[Collection(SecondClusterCollection.Name)]
public sealed class ClusterRequestFuzzTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    private const int Cases = 300;
    private const int SweepPerPath = 4;

    [Fact]
    public Task Mutated_requests_to_a_coordinator_never_5xx_or_hang_change_nothing_else_and_need_the_right_key() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec { Workers = 2, Coordinators = 1, ApiKeys = true }, async (cluster, _) =>
        {
            using var dir = new TempDirectory("mosaic-cluster-fuzz");
            string url = cluster.Coordinators[0].Url;
            string key = cluster.AdminKey!;
            // Not /v1/embeddings: the coordinator embeds in-process exactly as the embedded server does (fuzzed there), and
            // loading the model would take a quarter of this test's time.
            var scenario = new FuzzScenario(cluster.Http(), output, dir.Path, c => cluster.WaitSettledAsync(c, replicas: 1, TimeSpan.FromSeconds(60)), new HashSet<string> { "embeddings" });
            await scenario.RunAsync(url, Cases, sweep: true, [new("Authorization", $"Bearer {key}")], SweepPerPath);
            await new KeyFuzz(scenario, cluster.Http(), output).RunAsync(url, key);
        });
}
