using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary>
/// Back-pressure on writes: a writer that bulk-loads faster than the shard can index is held back, so that when its last
/// bulk is acknowledged the shard has already applied all but about that bulk — what was acknowledged is searchable soon,
/// not minutes later.
/// </summary>
public sealed class IndexBacklogTests(ITestOutputHelper output)
{
    private const int Bulks = 12;
    private const int PerBulk = 150;
    private const int Dimension = 256;

    [Fact]
    public Task Acknowledged_bulks_stay_within_the_backlog_bound_of_the_shard() => Seeds.RunAsync(output.WriteLine, async seed =>
    {
        // A tight bound, and no giving up: the shard must have applied everything but the last bulk (plus the bound's
        // worth) when the last bulk is acknowledged.
        await using var server = await MosaicServer.StartAsync(new Dictionary<string, string?>
        {
            ["Mosaic:Worker:MaxIndexBacklog"] = "00:00:00.050",
            ["Mosaic:Worker:MaxBacklogWait"] = "00:02:00",
        });
        var http = server.Http;
        const string c = "backlog";

        // Expensive to index (wide vectors, a dense graph, a wide construction beam), cheap to commit: without the bound
        // the whole load is acknowledged long before the shard has indexed a fraction of it.
        await http.CreateCollectionAsync(c, new JsonObject
        {
            ["dimension"] = Dimension,
            ["shards"] = 1,
            ["hnsw"] = new JsonObject { ["m"] = 64, ["ef_construction"] = 1000 },
        });

        var random = new Random(seed);
        long acked = 0;
        for (int b = 0; b < Bulks; b++)
        {
            var lines = Enumerable.Range(0, PerBulk).Select(i =>
            {
                var v = new float[Dimension];
                for (int d = 0; d < Dimension; d++)
                {
                    v[d] = (float)(random.NextDouble() - 0.5);
                }

                return Line(Doc($"bulk {b} doc {i}", v, id: $"b{b}-{i}"));
            }).ToList();
            var (written, _) = await http.BulkOkAsync(c, lines);
            Assert.Equal(PerBulk, written);
            acked += written;
        }

        long indexed = await IndexedAsync(http, c);
        output.WriteLine($"acknowledged {acked}, the shard had applied {indexed} at the last acknowledgement");
        Assert.True(indexed >= acked - (2 * PerBulk),
            $"the shard had applied {indexed} of {acked} acknowledged documents when the last bulk was acknowledged: more than two bulks behind");

        // And nothing is lost: the shard ends with every document.
        await Wait.WaitUntilAsync(async () => await IndexedAsync(http, c) == acked, TimeSpan.FromSeconds(120), $"the shard holds all {acked} documents");
    });

    private static async Task<long> IndexedAsync(MosaicHttp http, string collection)
    {
        var stats = (await http.GetAsync($"collections/{collection}")).AssertStatus(HttpStatusCode.OK).Object["shard_stats"] as JsonArray;
        Assert.True(stats is { Count: 1 }, "one shard's stats");
        return stats![0]!["doc_count"]!.GetValue<long>();
    }
}
