using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;

namespace Mosaic.IntegrationTests.Access;

/// <summary>
/// The result cache through the API: a repeat is a hit (<c>cached: true</c>), a write to the collection makes the next
/// search a miss that sees it, a write elsewhere does not, read-your-writes holds through the cache, and Redis dying under
/// load fails no search.
/// </summary>
public sealed class ResultCacheTests : IAsyncLifetime
{
    private RedisServer _redis = null!;
    private MosaicServer _server = null!;

    private MosaicHttp Http => _server.Http;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _server = await MosaicServer.StartAsync(new Dictionary<string, string?> { ["Mosaic:Redis"] = _redis.ConnectionString });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task RepeatedSearch_IsAHit_WithTheSameHits_AndLandsInRedis()
    {
        var c = await CollectionAsync();
        var search = Keyword("lantern");

        var first = await Http.SearchAsync(c, search);
        var second = await Http.SearchAsync(c, search);
        // The same search written differently (field order, spacing) is the same request.
        var reordered = await Http.PostAsync($"collections/{c}/search", "{ \"top_k\" : 10,  \"query\": \"lantern\", \"mode\": \"keyword\" }");
        reordered.AssertStatus(HttpStatusCode.OK);

        Assert.False(first["cached"]!.GetValue<bool>());
        Assert.True(second["cached"]!.GetValue<bool>());
        Assert.True(reordered.Object["cached"]!.GetValue<bool>());
        Assert.Equal(["d1", "d2"], MosaicHttp.HitIds(first).Order());
        Assert.Equal(MosaicHttp.HitIds(first), MosaicHttp.HitIds(second));
        Assert.Equal(MosaicHttp.HitScores(first), MosaicHttp.HitScores(second));
        // L2 writes are bounded in time (a slow Redis is skipped), so on a loaded machine one may be dropped: each poll
        // sends a fresh search, whose miss writes another answer.
        int poll = 0;
        await Wait.WaitUntilAsync(
            async () =>
            {
                await Http.SearchAsync(c, Keyword($"probe{poll++}"));
                return await _redis.KeyCountAsync() >= 1;
            },
            TimeSpan.FromSeconds(30),
            "an answer written to Redis (L2)");

        // A search that differs in anything that shapes the answer is a different entry.
        var fewer = await Http.SearchAsync(c, new JsonObject { ["mode"] = "keyword", ["query"] = "lantern", ["top_k"] = 1 });
        Assert.False(fewer["cached"]!.GetValue<bool>());
        Assert.Single(MosaicHttp.HitIds(fewer));
    }

    [Fact]
    public async Task WriteToTheCollection_Invalidates_WriteToAnother_DoesNot()
    {
        var c = await CollectionAsync();
        var other = await CollectionAsync();
        var search = Keyword("lantern");
        await Http.SearchAsync(c, search);
        Assert.True((await Http.SearchAsync(c, search))["cached"]!.GetValue<bool>());

        await Http.UpsertAsync(other, "x1", new JsonObject { ["text"] = "lantern elsewhere" });
        var afterOther = await Http.SearchAsync(c, search);
        Assert.True(afterOther["cached"]!.GetValue<bool>(), "a write to another collection invalidated this one");

        await Http.UpsertAsync(c, "d3", new JsonObject { ["text"] = "a third lantern" });
        // No token: the coordinator learns of its own store's write at once.
        var afterWrite = await Http.SearchAsync(c, search);
        Assert.False(afterWrite["cached"]!.GetValue<bool>());
        Assert.Equal(["d1", "d2", "d3"], MosaicHttp.HitIds(afterWrite).Order());
        Assert.True((await Http.SearchAsync(c, search))["cached"]!.GetValue<bool>());

        var delete = await Http.DeleteAsync($"collections/{c}/docs/d1");
        delete.AssertStatus(HttpStatusCode.OK);
        var afterDelete = await Http.SearchAsync(c, search);
        Assert.Equal(["d2", "d3"], MosaicHttp.HitIds(afterDelete).Order());
    }

    [Fact]
    public async Task SearchWithAToken_SeesItsWrite_ThenHitsTheEntryThatCoversIt()
    {
        var c = await CollectionAsync();
        var search = Keyword("lantern");
        search["top_k"] = 100;
        await Http.SearchAsync(c, search);

        for (int i = 0; i < 20; i++)
        {
            string token = await Http.UpsertAsync(c, $"w{i}", new JsonObject { ["text"] = $"lantern number{i}" });
            var withToken = (JsonObject)search.DeepClone();
            withToken["consistency"] = new JsonObject { ["after"] = token };
            var seen = await Http.SearchAsync(c, withToken);
            Assert.Contains($"w{i}", MosaicHttp.HitIds(seen));
            var again = await Http.SearchAsync(c, withToken);
            Assert.True(again["cached"]!.GetValue<bool>(), $"iteration {i}: a repeat covered by the cached version was not a hit");
            Assert.Contains($"w{i}", MosaicHttp.HitIds(again));
        }
    }

    [Fact]
    public async Task InvalidSearch_IsNeverCached()
    {
        var c = await CollectionAsync();
        for (int i = 0; i < 2; i++)
        {
            var bad = await Http.PostAsync($"collections/{c}/search", new JsonObject { ["mode"] = "keyword", ["query"] = "lantern", ["top_k"] = 0 });
            bad.AssertStatus(HttpStatusCode.BadRequest);
            var badTimeout = await Http.PostAsync($"collections/{c}/search", new JsonObject { ["mode"] = "keyword", ["query"] = "lantern", ["timeout_ms"] = -1 });
            badTimeout.AssertStatus(HttpStatusCode.BadRequest);
            var badToken = await Http.PostAsync($"collections/{c}/search", new JsonObject { ["mode"] = "keyword", ["query"] = "lantern", ["consistency"] = new JsonObject { ["after"] = "nope" } });
            badToken.AssertStatus(HttpStatusCode.BadRequest);
        }
    }

    [Fact]
    public async Task RedisKilledAndPausedUnderLoad_FailsNoSearch()
    {
        var c = await CollectionAsync();
        var load = SearchLoad.Start(Http, c, "lantern");
        await load.MoreAsync(100);
        await _redis.KillAsync();
        await load.MoreAsync(200);
        await _redis.StartAgainAsync();
        await load.MoreAsync(100);
        _redis.Pause();
        await load.MoreAsync(100);
        _redis.Resume();
        await load.MoreAsync(100);
        var failures = await load.StopAsync();

        Assert.Empty(failures);
        Assert.True(load.Answered >= 600, $"only {load.Answered} searches answered");
    }

    [Fact]
    public async Task VectorSearch_IsKeyedByItsVector_WhateverItsSpelling()
    {
        var c = Names.Unique("cachevec");
        await Http.CreateCollectionAsync(c, new JsonObject { ["dimension"] = 2, ["metric"] = "dot", ["shards"] = 2 });
        await Http.BulkOkAsync(c, [
            MosaicHttp.Line(new { id = "east", vector = new[] { 1f, 0f } }),
            MosaicHttp.Line(new { id = "north", vector = new[] { 0f, 1f } }),
        ]);
        string Search(string vector) => $"{{\"mode\": \"vector\", \"top_k\": 1, \"vector\": {vector}}}";
        async Task<JsonObject> PostAsync(string body)
        {
            var r = await Http.PostAsync($"collections/{c}/search", new RawBody(body));
            r.AssertStatus(HttpStatusCode.OK);
            return r.Object;
        }

        var east = await PostAsync(Search("[1, 0]"));
        Assert.False(east["cached"]!.GetValue<bool>());
        Assert.Equal(["east"], MosaicHttp.HitIds(east));
        // The same numbers spelled otherwise are the same request.
        var eastAgain = await PostAsync(Search("[ 1.0, 0e0 ]"));
        Assert.True(eastAgain["cached"]!.GetValue<bool>());
        Assert.Equal(["east"], MosaicHttp.HitIds(eastAgain));
        // Another vector is another entry, with its own answer; so is a vector that differs in its last bit.
        var north = await PostAsync(Search("[0, 1]"));
        Assert.False(north["cached"]!.GetValue<bool>());
        Assert.Equal(["north"], MosaicHttp.HitIds(north));
        var nearlyEast = await PostAsync(Search("[1.0000001, 0]"));
        Assert.False(nearlyEast["cached"]!.GetValue<bool>());
        Assert.Equal(["east"], MosaicHttp.HitIds(nearlyEast));
        Assert.True((await PostAsync(Search("[1,0]")))["cached"]!.GetValue<bool>());
    }

    private async Task<string> CollectionAsync()
    {
        var c = Names.Unique("cache");
        await Http.CreateCollectionAsync(c, new JsonObject { ["dimension"] = 0, ["shards"] = 2 });
        await Http.BulkOkAsync(c, [
            MosaicHttp.Line(new { id = "d1", text = "amber lantern" }),
            MosaicHttp.Line(new { id = "d2", text = "green lantern" }),
            MosaicHttp.Line(new { id = "d9", text = "unrelated words" }),
        ]);
        return c;
    }

    private static JsonObject Keyword(string query) => new() { ["mode"] = "keyword", ["query"] = query, ["top_k"] = 10 };
}
