using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary>Collection lifecycle: create (201/200/409/400), list, get with stats, delete, keyword-only collections.</summary>
public sealed class CollectionTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly MosaicHttp _http = fixture.Http;

    private static JsonObject Settings(int dimension = 4, string metric = "cosine", int shards = 2) => new()
    {
        ["dimension"] = dimension,
        ["metric"] = metric,
        ["shards"] = shards,
        ["replicas"] = 1,
        ["fields"] = new JsonObject { ["category"] = "keyword", ["price"] = "number" },
        ["hnsw"] = new JsonObject { ["m"] = 16, ["ef_construction"] = 100 },
    };

    [Fact]
    public async Task Create_Returns201_IdenticalRepeat200_DifferentSettings409()
    {
        var name = Names.Unique("create");

        var first = await _http.PutAsync($"collections/{name}", Settings());
        first.AssertStatus(HttpStatusCode.Created);

        var repeat = await _http.PutAsync($"collections/{name}", Settings());
        repeat.AssertStatus(HttpStatusCode.OK);

        (await _http.PutAsync($"collections/{name}", Settings(dimension: 8))).AssertError(HttpStatusCode.Conflict);
        (await _http.PutAsync($"collections/{name}", Settings(metric: "l2"))).AssertError(HttpStatusCode.Conflict);
        (await _http.PutAsync($"collections/{name}", Settings(shards: 3))).AssertError(HttpStatusCode.Conflict);
        var otherFields = Settings();
        otherFields["fields"] = new JsonObject { ["category"] = "number" };
        (await _http.PutAsync($"collections/{name}", otherFields)).AssertError(HttpStatusCode.Conflict);

        // The conflicting attempts changed nothing.
        var get = (await _http.GetAsync($"collections/{name}")).AssertStatus(HttpStatusCode.OK).Object;
        Assert.Equal(4, get["dimension"]!.GetValue<int>());
        Assert.Equal("cosine", get["metric"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("UPPER")]
    [InlineData("with.dot")]
    [InlineData("sp%20ace")]
    [InlineData("%C3%BCmlaut")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")] // 65 chars
    public async Task Create_WithBadName_Returns400NamingTheName(string name)
    {
        (await _http.PutAsync($"collections/{name}", Settings())).AssertError(HttpStatusCode.BadRequest, "name");
        (await _http.GetAsync($"collections/{name}")).AssertClientError();
    }

    [Fact]
    public async Task Create_WithLongestValidName_Succeeds()
    {
        var name = ("edge_-" + Guid.NewGuid().ToString("N") + new string('z', 64))[..64];
        (await _http.PutAsync($"collections/{name}", Settings())).AssertStatus(HttpStatusCode.Created);
        (await _http.GetAsync($"collections/{name}")).AssertStatus(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("""{"dimension": -1, "metric": "cosine"}""", "dimension")]
    [InlineData("""{"dimension": 4, "metric": "manhattan"}""", "metric")]
    [InlineData("""{"dimension": 4, "metric": "cosine", "shards": 0}""", "shards")]
    [InlineData("""{"dimension": 4, "fields": {"x": "geo_point"}}""", "x")]
    [InlineData("""{"dimension": "four"}""", "dimension")]
    public async Task Create_WithBadSettings_Returns400NamingTheField(string body, string field)
    {
        var name = Names.Unique("badset");
        (await _http.PutAsync($"collections/{name}", body)).AssertError(HttpStatusCode.BadRequest, field);
        (await _http.GetAsync($"collections/{name}")).AssertStatus(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task List_IncludesCreatedCollections()
    {
        var a = Names.Unique("list-a");
        var b = Names.Unique("list-b");
        await _http.CreateCollectionAsync(a, Settings());
        await _http.CreateCollectionAsync(b, Settings(dimension: 0));

        var list = (await _http.GetAsync("collections")).AssertStatus(HttpStatusCode.OK);
        var names = CollectionNames(list);
        Assert.Contains(a, names);
        Assert.Contains(b, names);
    }

    [Fact]
    public async Task Get_ReturnsSettingsDocCountAndPerShardStats()
    {
        var name = Names.Unique("get");
        await _http.CreateCollectionAsync(name, Settings(dimension: 4, metric: "dot", shards: 3));
        var lines = Enumerable.Range(0, 30)
            .Select(i => Line(Doc($"doc number {i}", [i, 1, 0, -1], new JsonObject { ["category"] = i % 2 == 0 ? "even" : "odd", ["price"] = i }, id: $"d{i}")));
        var (written, _) = await _http.BulkOkAsync(name, lines);
        Assert.Equal(30, written);

        await Wait.WaitUntilAsync(async () => await _http.DocCountAsync(name) == 30, TimeSpan.FromSeconds(15), "doc_count == 30");

        var get = (await _http.GetAsync($"collections/{name}")).AssertStatus(HttpStatusCode.OK);
        var body = get.Object;
        Assert.Equal(4, body["dimension"]!.GetValue<int>());
        Assert.Equal("dot", body["metric"]!.GetValue<string>());
        Assert.Equal(30, body["doc_count"]!.GetValue<long>());
        Assert.Equal("keyword", body["fields"]?["category"]?.GetValue<string>());
        Assert.Equal("number", body["fields"]?["price"]?.GetValue<string>());
        Assert.Equal(3, body["shards"]!.GetValue<int>());

        // "shards" is the setting (3); "shard_stats" holds one object per shard, {shard, range "[lo,hi)", state, doc_count, ...},
        // and each shard counts exactly the documents whose slot falls in its range.
        JsonArray shards = null!;
        await Wait.WaitUntilAsync(
            async () =>
            {
                shards = Assert.IsType<JsonArray>((await _http.GetAsync($"collections/{name}")).AssertStatus(HttpStatusCode.OK).Object["shard_stats"]);
                return shards.Count == 3 && shards.All(s => s!["state"]!.GetValue<string>() == "serving" && s["lag"]!.GetValue<long>() == 0);
            },
            TimeSpan.FromSeconds(15),
            "three serving shards with no lag");
        Assert.Equal(3, shards.Select(s => s!["shard"]!.GetValue<int>()).Distinct().Count());
        long total = 0;
        foreach (var shard in shards.Select(s => s!.AsObject()))
        {
            var (lo, hi) = OperationsTests.ParseRange(shard["range"]!.GetValue<string>());
            long inRange = Enumerable.Range(0, 30).Count(i => Mosaic.Core.Slots.SlotHasher.SlotOf(name, $"d{i}") is var slot && slot >= lo && slot < hi);
            Assert.Equal(inRange, shard["doc_count"]!.GetValue<long>());
            Assert.Equal(inRange, shard["vector_count"]!.GetValue<long>());
            Assert.True(shard["bytes"]!.GetValue<long>() > 0, $"shard {shard.ToJsonString()} reports no bytes");
            total += inRange;
        }

        Assert.Equal(30, total);
    }

    [Fact]
    public async Task Delete_Returns200_ThenEverythingInItIs404()
    {
        var name = Names.Unique("del");
        await _http.CreateCollectionAsync(name, Settings());
        await _http.UpsertAsync(name, "doc1", Doc("to be dropped", [1, 0, 0, 0]));

        (await _http.DeleteAsync($"collections/{name}")).AssertStatus(HttpStatusCode.OK);

        (await _http.GetAsync($"collections/{name}")).AssertError(HttpStatusCode.NotFound);
        (await _http.GetAsync($"collections/{name}/docs/doc1")).AssertError(HttpStatusCode.NotFound);
        (await _http.PutAsync($"collections/{name}/docs/doc2", Doc("x", [1, 0, 0, 0]))).AssertError(HttpStatusCode.NotFound);
        (await _http.DeleteAsync($"collections/{name}/docs/doc1")).AssertError(HttpStatusCode.NotFound);
        (await _http.BulkAsync(name, [Line(Doc("x", [1, 0, 0, 0], id: "doc3"))])).AssertError(HttpStatusCode.NotFound);
        (await _http.PostAsync($"collections/{name}/search", new JsonObject { ["mode"] = "keyword", ["query"] = "dropped" })).AssertError(HttpStatusCode.NotFound);
        (await _http.PostAsync($"collections/{name}/search", new JsonObject { ["mode"] = "vector", ["vector"] = Vector([1, 0, 0, 0]) })).AssertError(HttpStatusCode.NotFound);
        (await _http.DeleteAsync($"collections/{name}")).AssertError(HttpStatusCode.NotFound);
        Assert.DoesNotContain(name, CollectionNames(await _http.GetAsync("collections")));

        // The name is free again, and the new collection starts empty.
        (await _http.PutAsync($"collections/{name}", Settings())).AssertStatus(HttpStatusCode.Created);
        Assert.Equal(0, await _http.DocCountAsync(name));
        (await _http.GetAsync($"collections/{name}/docs/doc1")).AssertStatus(HttpStatusCode.NotFound);
        var token = await _http.UpsertAsync(name, "fresh", Doc("fresh dropped", [0, 1, 0, 0]));
        var hits = MosaicHttp.HitIds(await _http.SearchAsync(name, new JsonObject
        {
            ["mode"] = "keyword",
            ["query"] = "dropped",
            ["consistency"] = new JsonObject { ["after"] = token },
        }));
        Assert.Equal(["fresh"], hits);
    }

    [Fact]
    public async Task KeywordOnlyCollection_AcceptsTextAndRejectsVectors()
    {
        var name = Names.Unique("kwonly");
        var settings = new JsonObject { ["fields"] = new JsonObject { ["category"] = "keyword" } };
        (await _http.PutAsync($"collections/{name}", settings)).AssertStatus(HttpStatusCode.Created);
        // Absent dimension and dimension 0 are the same settings.
        (await _http.PutAsync($"collections/{name}", new JsonObject { ["dimension"] = 0, ["fields"] = new JsonObject { ["category"] = "keyword" } }))
            .AssertStatus(HttpStatusCode.OK);

        var get = (await _http.GetAsync($"collections/{name}")).AssertStatus(HttpStatusCode.OK).Object;
        Assert.Equal(0, get["dimension"]?.GetValue<int>() ?? 0);

        await _http.UpsertAsync(name, "k1", Doc("orange marmalade on toast", fields: new JsonObject { ["category"] = "food" }));
        var token = await _http.UpsertAsync(name, "k2", Doc("orange traffic cone", fields: new JsonObject { ["category"] = "road" }));

        var answer = await _http.SearchAsync(name, new JsonObject
        {
            ["mode"] = "keyword",
            ["query"] = "orange",
            ["filter"] = Clause("category", ("eq", "food")),
            ["consistency"] = new JsonObject { ["after"] = token },
        });
        Assert.Equal(["k1"], MosaicHttp.HitIds(answer));

        (await _http.PutAsync($"collections/{name}/docs/k3", Doc("with a vector", [1, 2]))).AssertError(HttpStatusCode.BadRequest, "vector", "dimension");
        (await _http.PostAsync($"collections/{name}/search", new JsonObject { ["mode"] = "vector", ["vector"] = Vector([1, 2]) }))
            .AssertClientError("vector", "dimension");
        (await _http.GetAsync($"collections/{name}/docs/k3")).AssertStatus(HttpStatusCode.NotFound);
        Assert.Equal(2, await _http.DocCountAsync(name));
    }

    /// <summary>Collection names from GET /collections, whether it answers an array or {"collections": [...]}, of names or objects.</summary>
    private static List<string> CollectionNames(ApiResponse list)
    {
        list.AssertStatus(HttpStatusCode.OK);
        var array = list.Json as JsonArray ?? list.Json?["collections"] as JsonArray;
        Assert.True(array is not null, $"GET /collections is neither an array nor {{\"collections\": [...]}}: {list.Describe()}");
        return array!.Select(item => item is JsonObject o ? o["name"]!.GetValue<string>() : item!.GetValue<string>()).ToList();
    }
}
