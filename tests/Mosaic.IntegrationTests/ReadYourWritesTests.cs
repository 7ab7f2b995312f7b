using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary>A search with <c>consistency.after</c> = the token of a write always sees that write (and a delete's token hides the doc).</summary>
public sealed class ReadYourWritesTests(ServerFixture fixture, ITestOutputHelper output) : IClassFixture<ServerFixture>
{
    private const int Dimension = 8;
    private readonly MosaicHttp _http = fixture.Http;

    [Fact]
    public Task EveryWrite_IsVisibleToTheNextSearchWithItsToken() => Seeds.RunAsync(output.WriteLine, async seed =>
    {
        var c = Names.Unique("ryw");
        await _http.CreateCollectionAsync(c, new JsonObject { ["dimension"] = Dimension, ["metric"] = "cosine", ["shards"] = 4 });
        var generator = new ClusteredVectors(seed, Dimension, clusters: 8);

        // Some background data so the indexes are not trivially small.
        var (_, _) = await _http.BulkOkAsync(c, Enumerable.Range(0, 300).Select(i => Line(Doc($"background filler {i}", generator.Next(), id: $"bg{i}"))));

        var failures = new List<string>();
        for (var i = 0; i < 200; i++)
        {
            var id = $"w{i}";
            var word = $"rywtoken{i}x{seed & 0xffff}";
            var vector = generator.Next();
            string token;
            if (i % 2 == 0)
            {
                token = await _http.UpsertAsync(c, id, Doc($"written {word}", vector));
            }
            else
            {
                // Through bulk, together with two other docs.
                (_, token) = await _http.BulkOkAsync(c,
                [
                    Line(Doc($"companion a {i}", generator.Next(), id: $"{id}a")),
                    Line(Doc($"written {word}", vector, id: id)),
                    Line(Doc($"companion b {i}", generator.Next(), id: $"{id}b")),
                ]);
            }

            var after = new JsonObject { ["after"] = token };
            var keyword = MosaicHttp.HitIds(await _http.SearchAsync(c, new JsonObject { ["mode"] = "keyword", ["query"] = word, ["consistency"] = after.DeepClone() }));
            if (!keyword.SequenceEqual([id]))
            {
                failures.Add($"iteration {i}: keyword '{word}' -> [{string.Join(',', keyword)}]");
            }

            var nearest = MosaicHttp.HitIds(await _http.SearchAsync(c, new JsonObject { ["mode"] = "vector", ["vector"] = Vector(vector), ["top_k"] = 3, ["consistency"] = after.DeepClone() }));
            if (!nearest.Contains(id))
            {
                failures.Add($"iteration {i}: vector search for its own vector -> [{string.Join(',', nearest)}]");
            }

            if (i % 10 == 9)
            {
                var deleted = (await _http.DeleteAsync($"collections/{c}/docs/{id}")).AssertStatus(System.Net.HttpStatusCode.OK);
                var afterDelete = new JsonObject { ["after"] = MosaicHttp.Token(deleted) };
                var gone = MosaicHttp.HitIds(await _http.SearchAsync(c, new JsonObject { ["mode"] = "hybrid", ["query"] = word, ["vector"] = Vector(vector), ["top_k"] = 5, ["consistency"] = afterDelete }));
                if (gone.Contains(id))
                {
                    failures.Add($"iteration {i}: deleted doc still found -> [{string.Join(',', gone)}]");
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} read-your-writes misses:\n{string.Join('\n', failures.Take(30))}");
    });
}
