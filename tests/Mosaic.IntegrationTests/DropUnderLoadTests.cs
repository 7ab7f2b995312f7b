using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary>Dropping a collection while searches run on it: every answer is a 200 or a clear 4xx/503, never a 500 or a crash.</summary>
public sealed class DropUnderLoadTests(ServerFixture fixture, ITestOutputHelper output) : IClassFixture<ServerFixture>
{
    private const int Dimension = 16;
    private readonly MosaicHttp _http = fixture.Http;

    [Fact]
    public Task DroppingACollection_WhileSearching_NeverFails500() => Seeds.RunAsync(output.WriteLine, async seed =>
    {
        var generator = new ClusteredVectors(seed, Dimension, clusters: 4);
        for (int round = 0; round < 3; round++)
        {
            var c = Names.Unique("drop");
            await _http.CreateCollectionAsync(c, new JsonObject { ["dimension"] = Dimension, ["metric"] = "cosine", ["shards"] = 4 });
            var (_, token) = await _http.BulkOkAsync(c, Enumerable.Range(0, 500).Select(i => Line(Doc($"drop test {i}", generator.Next(), id: $"d{i}"))));
            await _http.SearchAsync(c, new JsonObject { ["mode"] = "keyword", ["query"] = "drop", ["consistency"] = new JsonObject { ["after"] = token } });

            var statuses = new System.Collections.Concurrent.ConcurrentBag<HttpStatusCode>();
            var surprises = new System.Collections.Concurrent.ConcurrentBag<string>();
            using var stop = new CancellationTokenSource();
            // One generator per searcher: System.Random is not thread-safe, and a corrupted one yields zero vectors (a 400).
            var searchers = Enumerable.Range(0, 4).Select(n => new ClusteredVectors(seed + round * 4 + n + 1, Dimension, clusters: 4)).Select(vectors => Task.Run(async () =>
            {
                for (int i = 0; i < 400 && !stop.IsCancellationRequested; i++)
                {
                    var answer = await _http.PostAsync($"collections/{c}/search", new JsonObject { ["query"] = "drop test", ["vector"] = Vector(vectors.Next()), ["top_k"] = 20 });
                    statuses.Add(answer.Status);
                    if (answer.Status is not (HttpStatusCode.OK or HttpStatusCode.NotFound or HttpStatusCode.ServiceUnavailable))
                    {
                        surprises.Add(answer.Describe());
                    }
                }
            })).ToArray();

            await Wait.WaitUntilAsync(() => Task.FromResult(statuses.Count >= 20), TimeSpan.FromSeconds(60), "searches are running");
            var dropped = await _http.DeleteAsync($"collections/{c}");
            Assert.Equal(HttpStatusCode.OK, dropped.Status);
            await Wait.WaitUntilAsync(async () => (await _http.GetAsync($"collections/{c}")).Status == HttpStatusCode.NotFound, TimeSpan.FromSeconds(30), "collection gone");
            await stop.CancelAsync();
            await Task.WhenAll(searchers);

            var unexpected = statuses.Where(s => s is not (HttpStatusCode.OK or HttpStatusCode.NotFound or HttpStatusCode.ServiceUnavailable)).ToList();
            Assert.True(unexpected.Count == 0, $"unexpected statuses while dropping: {string.Join(", ", unexpected.Distinct())}; {string.Join("; ", surprises.Take(3))}");
            Assert.Contains(HttpStatusCode.OK, statuses);
            Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("health")).Status);
        }
    });
}
