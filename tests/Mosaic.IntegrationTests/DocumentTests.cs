using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary>Single-document upsert/get/delete, bulk NDJSON (all or nothing), and idempotency keys.</summary>
public sealed class DocumentTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly MosaicHttp _http = fixture.Http;

    private async Task<string> NewCollectionAsync(string prefix, string metric = "dot", int dimension = 3, int shards = 2)
    {
        var name = Names.Unique(prefix);
        await _http.CreateCollectionAsync(name, new JsonObject
        {
            ["dimension"] = dimension,
            ["metric"] = metric,
            ["shards"] = shards,
            ["fields"] = new JsonObject { ["category"] = "keyword", ["price"] = "number" },
        });
        return name;
    }

    [Fact]
    public async Task UpsertGetDelete_RoundTrip()
    {
        var c = await NewCollectionAsync("crud");
        const string id = "doc 1:é+ü";
        var path = $"collections/{c}/docs/{Uri.EscapeDataString(id)}";

        var put = (await _http.PutAsync(path, Doc("blue suede shoes", [0.5f, -1.25f, 2f], new JsonObject { ["category"] = "shoes", ["price"] = 49.5 })))
            .AssertStatus(HttpStatusCode.OK);
        Assert.Equal(id, put.Object["id"]!.GetValue<string>());
        MosaicHttp.Token(put);

        var get = (await _http.GetAsync(path)).AssertStatus(HttpStatusCode.OK).Object;
        Assert.Equal(id, get["id"]!.GetValue<string>());
        Assert.Equal("blue suede shoes", get["text"]!.GetValue<string>());
        Assert.Equal([0.5f, -1.25f, 2f], get["vector"]!.AsArray().Select(v => v!.GetValue<float>()).ToArray());
        Assert.Equal("shoes", get["fields"]!["category"]!.GetValue<string>());
        Assert.Equal(49.5, get["fields"]!["price"]!.GetValue<double>());

        var del = (await _http.DeleteAsync(path)).AssertStatus(HttpStatusCode.OK);
        Assert.Equal(id, del.Object["id"]!.GetValue<string>());
        MosaicHttp.Token(del);

        (await _http.GetAsync(path)).AssertError(HttpStatusCode.NotFound);
        (await _http.DeleteAsync(path)).AssertError(HttpStatusCode.NotFound);
        Assert.Equal(0, await _http.DocCountAsync(c));
    }

    [Fact]
    public async Task GetOrDelete_AbsentDocument_Returns404()
    {
        var c = await NewCollectionAsync("absent");
        (await _http.GetAsync($"collections/{c}/docs/never-written")).AssertError(HttpStatusCode.NotFound);
        (await _http.DeleteAsync($"collections/{c}/docs/never-written")).AssertError(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Upsert_ReplacesTheWholeDocument_InStoreAndIndexes()
    {
        var c = await NewCollectionAsync("replace");
        await _http.UpsertAsync(c, "r1", Doc("alpha original wording", [1, 0, 0], new JsonObject { ["category"] = "old", ["price"] = 1 }));
        var token = await _http.UpsertAsync(c, "r1", Doc("omega replacement wording", [0, 0, 1], new JsonObject { ["category"] = "new" }));

        var get = (await _http.GetAsync($"collections/{c}/docs/r1")).AssertStatus(HttpStatusCode.OK).Object;
        Assert.Equal("omega replacement wording", get["text"]!.GetValue<string>());
        Assert.Equal([0f, 0f, 1f], get["vector"]!.AsArray().Select(v => v!.GetValue<float>()).ToArray());
        Assert.Equal("new", get["fields"]!["category"]!.GetValue<string>());
        Assert.Null(get["fields"]!["price"]);
        Assert.Equal(1, await _http.DocCountAsync(c));

        var after = new JsonObject { ["after"] = token };
        Assert.Empty(MosaicHttp.HitIds(await _http.SearchAsync(c, new JsonObject { ["mode"] = "keyword", ["query"] = "alpha", ["consistency"] = after.DeepClone() })));
        Assert.Equal(["r1"], MosaicHttp.HitIds(await _http.SearchAsync(c, new JsonObject { ["mode"] = "keyword", ["query"] = "omega", ["consistency"] = after.DeepClone() })));
        Assert.Empty(MosaicHttp.HitIds(await _http.SearchAsync(c, new JsonObject
        {
            ["mode"] = "keyword",
            ["query"] = "wording",
            ["filter"] = Clause("category", ("eq", "old")),
            ["consistency"] = after.DeepClone(),
        })));
        Assert.Empty(MosaicHttp.HitIds(await _http.SearchAsync(c, new JsonObject
        {
            ["mode"] = "keyword",
            ["query"] = "wording",
            ["filter"] = Clause("price", ("eq", 1)),
            ["consistency"] = after.DeepClone(),
        })));
        var vector = await _http.SearchAsync(c, new JsonObject { ["mode"] = "vector", ["vector"] = Vector([0, 0, 1]), ["consistency"] = after.DeepClone() });
        Assert.Equal(["r1"], MosaicHttp.HitIds(vector));
        Assert.Equal(1.0, MosaicHttp.HitScores(vector)[0], 3);
    }

    [Fact]
    public async Task Bulk_WritesEveryLine_AndDeleteLinesDelete()
    {
        var c = await NewCollectionAsync("bulk", shards: 4);
        var lines = Enumerable.Range(0, 60)
            .Select(i => Line(Doc($"bulk doc {i}", [i, 1, 0], new JsonObject { ["category"] = $"c{i % 3}", ["price"] = i }, id: $"b{i}")))
            .ToList();
        var (written, token) = await _http.BulkOkAsync(c, lines);
        Assert.Equal(60, written);
        Assert.False(string.IsNullOrEmpty(token));

        for (var i = 0; i < 60; i++)
        {
            var get = (await _http.GetAsync($"collections/{c}/docs/b{i}")).AssertStatus(HttpStatusCode.OK).Object;
            Assert.Equal($"bulk doc {i}", get["text"]!.GetValue<string>());
            Assert.Equal(i, get["fields"]!["price"]!.GetValue<double>());
        }

        Assert.Equal(60, await _http.DocCountAsync(c));

        // Mixed: two deletes, one new doc, one replacement.
        var mixed = new List<string>
        {
            DeleteLine("b0"),
            DeleteLine("b1"),
            Line(Doc("brand new", [0, 0, 1], id: "b60")),
            Line(Doc("replaced text", [0, 1, 0], id: "b2")),
        };
        var (mixedWritten, mixedToken) = await _http.BulkOkAsync(c, mixed);
        // Every line of the batch took effect: two deletes of present documents, one insert, one replacement.
        Assert.Equal(4, mixedWritten);
        Assert.NotEqual(token, mixedToken);

        (await _http.GetAsync($"collections/{c}/docs/b0")).AssertStatus(HttpStatusCode.NotFound);
        (await _http.GetAsync($"collections/{c}/docs/b1")).AssertStatus(HttpStatusCode.NotFound);
        Assert.Equal("brand new", (await _http.GetAsync($"collections/{c}/docs/b60")).AssertStatus(HttpStatusCode.OK).Object["text"]!.GetValue<string>());
        Assert.Equal("replaced text", (await _http.GetAsync($"collections/{c}/docs/b2")).AssertStatus(HttpStatusCode.OK).Object["text"]!.GetValue<string>());
        Assert.Equal(59, await _http.DocCountAsync(c));

        var hits = MosaicHttp.HitIds(await _http.SearchAsync(c, new JsonObject
        {
            ["mode"] = "keyword",
            ["query"] = "bulk",
            ["top_k"] = 100,
            ["consistency"] = new JsonObject { ["after"] = mixedToken },
        }));
        Assert.Equal(57, hits.Count);
        Assert.DoesNotContain("b0", hits);
        Assert.DoesNotContain("b1", hits);
        Assert.DoesNotContain("b2", hits);
    }

    public static TheoryData<string, int> BadBulkLines => new()
    {
        { """{"id": "x3", "text": "wrong dimension", "vector": [1, 2]}""", 3 },
        { """{"id": "x3", "text": "broken json", "vector": [1, 2, 3]""", 3 },
        { """{"id": "x2", "text": "nan", "vector": [1, "NaN", 3]}""", 2 },
        { """{"id": "", "text": "empty id", "vector": [1, 2, 3]}""", 4 },
        { """{"text": "no id at all", "vector": [1, 2, 3]}""", 3 },
        { """{"id": "x3", "text": 5, "vector": [1, 2, 3]}""", 3 },
        { """{"id": "x3", "text": "bad field", "vector": [1, 2, 3], "fields": {"price": "cheap"}}""", 3 },
    };

    [Theory]
    [MemberData(nameof(BadBulkLines))]
    public async Task Bulk_WithOneBadLine_IsRejectedWhole_NamingTheLine(string badLine, int lineNumber)
    {
        var c = await NewCollectionAsync("bulkbad");
        await _http.UpsertAsync(c, "pre", Doc("present before", [1, 1, 1]));

        var lines = new List<string>();
        for (var i = 1; i <= 5; i++)
        {
            lines.Add(i == lineNumber ? badLine : Line(Doc($"good line {i}", [i, 0, 0], id: $"x{i}")));
        }

        lines.Insert(0, DeleteLine("pre")); // a delete that must not happen either
        lineNumber++;

        var r = (await _http.BulkAsync(c, lines)).AssertError(HttpStatusCode.BadRequest, "line");
        var detail = r.Object["detail"]!.GetValue<string>();
        Assert.True(detail.Contains(lineNumber.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal), $"detail should name line {lineNumber}: {r.Describe()}");

        for (var i = 1; i <= 5; i++)
        {
            (await _http.GetAsync($"collections/{c}/docs/x{i}")).AssertStatus(HttpStatusCode.NotFound);
        }

        (await _http.GetAsync($"collections/{c}/docs/pre")).AssertStatus(HttpStatusCode.OK);
        Assert.Equal(1, await _http.DocCountAsync(c));
    }

    [Fact]
    public async Task IdempotencyKey_OnSinglePut_ReturnsFirstAnswer_AndDoesNotWriteAgain()
    {
        var c = await NewCollectionAsync("idem");
        var key = new Dictionary<string, string> { ["Idempotency-Key"] = "put-" + Guid.NewGuid().ToString("N") };

        var first = await _http.UpsertAsync(c, "i1", Doc("first version", [1, 0, 0]), key);
        var repeat = await _http.UpsertAsync(c, "i1", Doc("first version", [1, 0, 0]), key);
        Assert.Equal(first, repeat);

        // A later write without the key changes the doc; replaying the key must not put the first version back.
        var second = await _http.UpsertAsync(c, "i1", Doc("second version", [0, 1, 0]));
        Assert.NotEqual(first, second);
        var replay = await _http.UpsertAsync(c, "i1", Doc("first version", [1, 0, 0]), key);
        Assert.Equal(first, replay);
        Assert.Equal("second version", (await _http.GetAsync($"collections/{c}/docs/i1")).AssertStatus(HttpStatusCode.OK).Object["text"]!.GetValue<string>());

        // Same for deletes.
        var delKey = new Dictionary<string, string> { ["Idempotency-Key"] = "del-" + Guid.NewGuid().ToString("N") };
        var del1 = (await _http.DeleteAsync($"collections/{c}/docs/i1", delKey)).AssertStatus(HttpStatusCode.OK);
        var del2 = (await _http.DeleteAsync($"collections/{c}/docs/i1", delKey)).AssertStatus(HttpStatusCode.OK);
        Assert.Equal(MosaicHttp.Token(del1), MosaicHttp.Token(del2));
    }

    [Fact]
    public async Task IdempotencyKey_OnBulk_ReturnsFirstAnswer_AndDoesNotWriteAgain()
    {
        var c = await NewCollectionAsync("idembulk", shards: 3);
        var key = new Dictionary<string, string> { ["Idempotency-Key"] = "bulk-" + Guid.NewGuid().ToString("N") };
        var lines = Enumerable.Range(0, 10).Select(i => Line(Doc($"idempotent {i}", [1, i, 0], id: $"k{i}"))).ToList();

        var first = await _http.BulkOkAsync(c, lines, key);
        Assert.Equal(10, first.Written);

        (await _http.DeleteAsync($"collections/{c}/docs/k0")).AssertStatus(HttpStatusCode.OK);

        var repeat = await _http.BulkOkAsync(c, lines, key);
        Assert.Equal(first, repeat);
        (await _http.GetAsync($"collections/{c}/docs/k0")).AssertStatus(HttpStatusCode.NotFound);
        Assert.Equal(9, await _http.DocCountAsync(c));

        // A different key is a different request.
        var other = await _http.BulkOkAsync(c, lines, new Dictionary<string, string> { ["Idempotency-Key"] = "bulk-" + Guid.NewGuid().ToString("N") });
        Assert.NotEqual(first.Token, other.Token);
        Assert.Equal(10, await _http.DocCountAsync(c));
    }
}
