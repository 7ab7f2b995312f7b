using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Mosaic.ClusterTests.Cluster;
using Mosaic.Testing;
using Xunit;

namespace Mosaic.ClusterTests.Elastic;

/// <summary>What the elasticity scenarios share: faster placement timings, loading, and waiting on /cluster.</summary>
internal static class Elastic
{
    /// <summary>Placement timings for tests: short grace and cooldown so moves finish in seconds (defaults are safer, not different).</summary>
    public static readonly string[] FastPlacement = ["--Mosaic:Placement:MoveCooldown=00:00:01", "--Mosaic:Placement:RebalanceAfter=00:00:02"];

    public static JsonObject Collection(int shards, int replicas) => ClusterDocs.Collection(shards, replicas);

    /// <summary>Creates the collection and loads <paramref name="docs"/> in bulks of <paramref name="bulk"/>; returns the last token.</summary>
    public static async Task<string> LoadAsync(MosaicHttp http, string collection, JsonObject settings, IReadOnlyList<TestDoc> docs, int bulk = 500)
    {
        (await http.PutAsync($"collections/{collection}", settings)).AssertStatus(HttpStatusCode.Created);
        string token = "";
        foreach (var chunk in docs.Chunk(bulk))
        {
            var (written, t) = await http.BulkOkAsync(collection, chunk.Select(d => d.Line()));
            Assert.Equal(chunk.Length, written);
            token = t;
        }

        return token;
    }

    /// <summary>Waits until a search of <paramref name="collection"/> through each coordinator answers complete: a
    /// coordinator's first calls open its channels to the workers, which on a loaded machine can outlast a search's deadline,
    /// and a scenario about placement should not count that as a failed search.</summary>
    public static Task WarmAsync(string collection, params MosaicHttp[] coordinators) => Task.WhenAll(coordinators.Select(http => Wait.WaitUntilAsync(
        async () =>
        {
            var r = await http.PostAsync($"collections/{collection}/search", ClusterDocs.KeywordAll(10, 10_000));
            return r.Status == HttpStatusCode.OK && !r.Object["partial"]!.GetValue<bool>();
        },
        TimeSpan.FromSeconds(60),
        $"a complete search of '{collection}' through {http.BaseUrl}")));

    /// <summary>Waits until <paramref name="done"/> holds for GET /cluster; the failure names the last view.</summary>
    public static async Task<ClusterView> WaitViewAsync(ClusterHarness cluster, string collection, Func<ClusterView, bool> done, TimeSpan timeout, string what)
    {
        ClusterView? last = null;
        try
        {
            await Wait.WaitUntilAsync(
                async () =>
                {
                    last = await cluster.ViewAsync();
                    return done(last);
                },
                timeout,
                what,
                TimeSpan.FromMilliseconds(250));
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}; last /cluster (imbalance {last?.ShardImbalance}):\n{last?.Describe(collection)}", ex);
        }

        return last!;
    }

    public static void AssertNoProblems(LiveLoad load, string during) =>
        Assert.True(load.Problems.Count == 0, $"{load.Problems.Count} of {load.Searches} searches or writes failed {during}:\n{string.Join('\n', load.Problems.Take(20))}");

    public static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
