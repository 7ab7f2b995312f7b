using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests.Access;

/// <summary>
/// A search whose answer is larger than the cache's largest entry (<c>Mosaic:Cache:MaxEntryBytes</c>, here its least,
/// 1 KiB) is answered, correctly, every time from the shards, is not cached, and leaves no cache error in the server's
/// log; a small answer is still cached. Against a real <c>mosaic serve</c>, whose log the test reads.
/// </summary>
public sealed class LargeAnswerCacheTests() : ServeProcessTest("mosaic-large-answers", "--Mosaic:Cache:MaxEntryBytes=1024")
{
    [Fact]
    public async Task An_answer_past_the_largest_entry_is_answered_twice_alike_uncached_and_logs_no_cache_error()
    {
        var c = Names.Unique("large");
        await Http.CreateCollectionAsync(c, new JsonObject { ["dimension"] = 4 });
        // Ten documents of ~300 characters: an answer with their texts is ~3 KB, a third of that past the limit.
        var (written, token) = await Http.BulkOkAsync(c, Enumerable.Range(0, 10).Select(i =>
            Line(Doc($"lantern {i} " + string.Concat(Enumerable.Repeat($"word{i} ", 40)), [1, i, 0, 0], id: $"d{i}"))));
        Assert.Equal(10, written);
        var large = new JsonObject { ["mode"] = "keyword", ["query"] = "lantern", ["top_k"] = 10, ["consistency"] = new JsonObject { ["after"] = token } };

        var first = await Http.SearchAsync(c, large.DeepClone());
        var second = await Http.SearchAsync(c, large.DeepClone());

        Assert.Equal(10, MosaicHttp.HitIds(first).Count);
        Assert.True(first["hits"]!.ToJsonString().Length > 2048, $"the answer should be well past 1 KiB: {first["hits"]!.ToJsonString().Length} characters");
        Assert.Equal(MosaicHttp.HitIds(first), MosaicHttp.HitIds(second));
        Assert.Equal(Texts(first), Texts(second));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"d{i}").Order(), MosaicHttp.HitIds(first).Order());
        Assert.False(first["cached"]!.GetValue<bool>());
        Assert.False(second["cached"]!.GetValue<bool>(), "an answer past Mosaic:Cache:MaxEntryBytes was cached (and so not counted against the cache's memory bound)");

        // A small answer is still cached.
        var small = new JsonObject { ["mode"] = "keyword", ["query"] = "lantern", ["top_k"] = 1, ["consistency"] = new JsonObject { ["after"] = token } };
        Assert.False((await Http.SearchAsync(c, small.DeepClone()))["cached"]!.GetValue<bool>());
        Assert.True((await Http.SearchAsync(c, small.DeepClone()))["cached"]!.GetValue<bool>());

        var log = Server.LogText();
        Assert.DoesNotContain("MaximumPayloadBytes", log, StringComparison.Ordinal);
        Assert.DoesNotContain("Caching.Hybrid", log, StringComparison.Ordinal);
    }

    private static List<string> Texts(JsonObject answer) => [.. answer["hits"]!.AsArray().Select(h => h!["text"]!.GetValue<string>())];
}
