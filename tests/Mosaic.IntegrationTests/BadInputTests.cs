using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary>
/// Bad input gets a 4xx with <c>{error, detail}</c> naming the field, never a 500, and leaves the collection as it was.
/// The server runs with Mosaic:MaxDocumentBytes = 4096.
/// </summary>
public sealed class BadInputTests(SmallLimitsServerFixture fixture) : IClassFixture<SmallLimitsServerFixture>
{
    private const int Dimension = 4;
    private readonly MosaicHttp _http = fixture.Http;
    private readonly Dictionary<string, string> _seedTokens = [];

    private sealed record Bad(HttpMethod Method, string Path, string? Body, string ContentType = "application/json");

    private static string Put(string c, string id = "x") => $"collections/{c}/docs/{id}";

    private static string Search(string c) => $"collections/{c}/search";

    private static readonly Dictionary<string, (Func<string, Bad> Make, HttpStatusCode Status, string[] Mentions)> Cases = new()
    {
        ["malformed-json-doc"] = (c => new(HttpMethod.Put, Put(c), """{"text": "abc", "vector": [1, 2"""), HttpStatusCode.BadRequest, []),
        ["malformed-json-search"] = (c => new(HttpMethod.Post, Search(c), """{"mode": "keyword", "query": }"""), HttpStatusCode.BadRequest, []),
        ["json-array-instead-of-object"] = (c => new(HttpMethod.Put, Put(c), """[1, 2, 3]"""), HttpStatusCode.BadRequest, []),
        ["empty-body-doc"] = (c => new(HttpMethod.Put, Put(c), ""), HttpStatusCode.BadRequest, []),
        ["malformed-bulk-line"] = (c => new(HttpMethod.Post, $"collections/{c}/docs:bulk", "{\"id\":\"a\",\"text\":\"ok\",\"vector\":[1,2,3,4]}\n{\"id\": \n", "application/x-ndjson"), HttpStatusCode.BadRequest, ["line"]),
        ["wrong-dimension"] = (c => new(HttpMethod.Put, Put(c), """{"text": "t", "vector": [1, 2]}"""), HttpStatusCode.BadRequest, ["vector", "dimension"]),
        ["zero-vector-cosine"] = (c => new(HttpMethod.Put, Put(c), """{"text": "t", "vector": [0, 0, 0, 0]}"""), HttpStatusCode.BadRequest, ["vector"]),
        ["empty-vector"] = (c => new(HttpMethod.Put, Put(c), """{"text": "t", "vector": []}"""), HttpStatusCode.BadRequest, ["vector", "dimension"]),
        ["infinity-overflow"] = (c => new(HttpMethod.Put, Put(c), """{"text": "t", "vector": [1e999, 0, 0, 1]}"""), HttpStatusCode.BadRequest, ["vector"]),
        ["negative-infinity-overflow"] = (c => new(HttpMethod.Put, Put(c), """{"text": "t", "vector": [0, -1e999, 0, 1]}"""), HttpStatusCode.BadRequest, ["vector"]),
        ["float-overflow"] = (c => new(HttpMethod.Put, Put(c), """{"text": "t", "vector": [0, 1e300, 0, 1]}"""), HttpStatusCode.BadRequest, ["vector"]),
        ["nan-string"] = (c => new(HttpMethod.Put, Put(c), """{"text": "t", "vector": ["NaN", 0, 0, 1]}"""), HttpStatusCode.BadRequest, ["vector"]),
        ["vector-not-array"] = (c => new(HttpMethod.Put, Put(c), """{"text": "t", "vector": "1,2,3,4"}"""), HttpStatusCode.BadRequest, ["vector"]),
        ["text-is-number"] = (c => new(HttpMethod.Put, Put(c), """{"text": 5, "vector": [1, 0, 0, 0]}"""), HttpStatusCode.BadRequest, ["text"]),
        ["number-field-is-string"] = (c => new(HttpMethod.Put, Put(c), """{"text": "t", "fields": {"price": "cheap"}}"""), HttpStatusCode.BadRequest, ["price"]),
        ["fields-not-object"] = (c => new(HttpMethod.Put, Put(c), """{"text": "t", "fields": [1]}"""), HttpStatusCode.BadRequest, ["fields"]),
        ["empty-id-in-bulk"] = (c => new(HttpMethod.Post, $"collections/{c}/docs:bulk", "{\"id\": \"\", \"text\": \"t\"}\n", "application/x-ndjson"), HttpStatusCode.BadRequest, ["id"]),
        ["id-over-512-bytes"] = (c => new(HttpMethod.Put, Put(c, new string('a', 513)), """{"text": "t"}"""), HttpStatusCode.BadRequest, ["id"]),
        ["multibyte-id-over-512-bytes"] = (c => new(HttpMethod.Put, Put(c, Uri.EscapeDataString(string.Concat(Enumerable.Repeat("é", 300)))), """{"text": "t"}"""), HttpStatusCode.BadRequest, ["id"]),
        ["long-id-in-bulk"] = (c => new(HttpMethod.Post, $"collections/{c}/docs:bulk", $"{{\"id\": \"{new string('b', 600)}\", \"text\": \"t\"}}\n", "application/x-ndjson"), HttpStatusCode.BadRequest, ["id"]),
        ["doc-over-max-size"] = (c => new(HttpMethod.Put, Put(c), $"{{\"text\": \"{new string('w', 5000)}\"}}"), HttpStatusCode.RequestEntityTooLarge, ["byte", "size", "large", "text"]),
        ["doc-over-1-mib"] = (c => new(HttpMethod.Put, Put(c), $"{{\"text\": \"{new string('w', 1_200_000)}\"}}"), HttpStatusCode.RequestEntityTooLarge, []),
        ["unknown-filter-field"] = (c => new(HttpMethod.Post, Search(c), """{"mode": "keyword", "query": "t", "filter": {"field": "nosuchfield", "eq": 1}}"""), HttpStatusCode.BadRequest, ["nosuchfield"]),
        ["top-k-0"] = (c => new(HttpMethod.Post, Search(c), """{"mode": "keyword", "query": "t", "top_k": 0}"""), HttpStatusCode.BadRequest, ["top_k"]),
        ["top-k-1001"] = (c => new(HttpMethod.Post, Search(c), """{"mode": "keyword", "query": "t", "top_k": 1001}"""), HttpStatusCode.BadRequest, ["top_k"]),
        ["top-k-negative"] = (c => new(HttpMethod.Post, Search(c), """{"mode": "keyword", "query": "t", "top_k": -3}"""), HttpStatusCode.BadRequest, ["top_k"]),
        ["top-k-string"] = (c => new(HttpMethod.Post, Search(c), """{"mode": "keyword", "query": "t", "top_k": "ten"}"""), HttpStatusCode.BadRequest, ["top_k"]),
        ["malformed-token"] = (c => new(HttpMethod.Post, Search(c), """{"mode": "keyword", "query": "t", "consistency": {"after": "not!a*token"}}"""), HttpStatusCode.BadRequest, ["consistency", "token", "after"]),
        ["truncated-token"] = (c => new(HttpMethod.Post, Search(c), """{"mode": "keyword", "query": "t", "consistency": {"after": "AQAAAAAAAAAAAQ"}}"""), HttpStatusCode.BadRequest, ["consistency", "token", "after"]),
        ["unknown-mode"] = (c => new(HttpMethod.Post, Search(c), """{"mode": "semantic", "query": "t"}"""), HttpStatusCode.BadRequest, ["mode"]),
        ["vector-mode-without-vector"] = (c => new(HttpMethod.Post, Search(c), """{"mode": "vector", "top_k": 3}"""), HttpStatusCode.BadRequest, ["vector"]),
        ["keyword-mode-without-query"] = (c => new(HttpMethod.Post, Search(c), """{"mode": "keyword", "top_k": 3}"""), HttpStatusCode.BadRequest, ["query"]),
        ["hybrid-without-vector"] = (c => new(HttpMethod.Post, Search(c), """{"mode": "hybrid", "query": "t"}"""), HttpStatusCode.BadRequest, ["vector"]),
        ["search-wrong-dimension"] = (c => new(HttpMethod.Post, Search(c), """{"mode": "vector", "vector": [1, 0, 0]}"""), HttpStatusCode.BadRequest, ["vector", "dimension"]),
        ["search-infinity"] = (c => new(HttpMethod.Post, Search(c), """{"mode": "vector", "vector": [1e999, 0, 0, 0]}"""), HttpStatusCode.BadRequest, ["vector"]),
        ["search-query-is-number"] = (c => new(HttpMethod.Post, Search(c), """{"mode": "keyword", "query": 5}"""), HttpStatusCode.BadRequest, ["query"]),
        ["search-negative-timeout"] = (c => new(HttpMethod.Post, Search(c), """{"mode": "keyword", "query": "t", "timeout_ms": -5}"""), HttpStatusCode.BadRequest, ["timeout_ms"]),
        ["batch-not-array"] = (c => new(HttpMethod.Post, $"collections/{c}/search:batch", """{"searches": {"mode": "keyword"}}"""), HttpStatusCode.BadRequest, ["searches"]),
        ["collection-huge-dimension"] = (c => new(HttpMethod.Put, $"collections/{c}-huge", """{"dimension": 1000000, "metric": "cosine"}"""), HttpStatusCode.BadRequest, ["dimension"]),
    };

    public static TheoryData<string> CaseNames() => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task BadRequest_Gets4xxNamingTheField_AndChangesNothing(string caseName)
    {
        var c = await SeededCollectionAsync();
        var (make, status, mentions) = Cases[caseName];
        var bad = make(c);

        var r = await _http.SendAsync(bad.Method, bad.Path, bad.Body is null ? null : new RawBody(bad.Body, bad.ContentType));
        r.AssertError(status, mentions);

        await AssertIntactAsync(c);
    }

    [Fact]
    public async Task UnknownCollection_Is404NamingIt_ForEveryRoute()
    {
        var missing = Names.Unique("missing");
        var doc = Doc("t", [1, 0, 0, 0]);
        (await _http.GetAsync($"collections/{missing}")).AssertError(HttpStatusCode.NotFound, missing);
        (await _http.PutAsync(Put(missing), doc)).AssertError(HttpStatusCode.NotFound, missing);
        (await _http.GetAsync(Put(missing))).AssertError(HttpStatusCode.NotFound, missing);
        (await _http.DeleteAsync(Put(missing))).AssertError(HttpStatusCode.NotFound, missing);
        (await _http.BulkAsync(missing, [Line(Doc("t", [1, 0, 0, 0], id: "a"))])).AssertError(HttpStatusCode.NotFound, missing);
        (await _http.PostAsync(Search(missing), new JsonObject { ["mode"] = "keyword", ["query"] = "t" })).AssertError(HttpStatusCode.NotFound, missing);
        (await _http.PostAsync($"collections/{missing}/search:batch", new JsonObject { ["searches"] = Array(new JsonObject { ["mode"] = "keyword", ["query"] = "t" }) }))
            .AssertError(HttpStatusCode.NotFound, missing);
        (await _http.DeleteAsync($"collections/{missing}")).AssertError(HttpStatusCode.NotFound, missing);
    }

    [Fact]
    public async Task IdOfExactly512Bytes_IsAccepted()
    {
        var c = await SeededCollectionAsync();
        var id = string.Concat(Enumerable.Repeat("é", 256)); // 512 UTF-8 bytes
        await _http.UpsertAsync(c, id, Doc("edge", [0, 0, 1, 0]));
        var get = (await _http.GetAsync(Put(c, Uri.EscapeDataString(id)))).AssertStatus(HttpStatusCode.OK).Object;
        Assert.Equal(id, get["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task DocJustUnderMaxSize_IsAccepted()
    {
        var c = await SeededCollectionAsync();
        await _http.UpsertAsync(c, "small-enough", Doc(new string('w', SmallLimitsServerFixture.MaxDocumentBytes / 2), [0, 1, 0, 0]));
        await AssertIntactAsync(c, expectedCount: 6);
    }

    [Fact]
    public async Task ConsistencyToken_OfAnotherCollection_IsRejected()
    {
        var c = await SeededCollectionAsync();
        var other = await SeededCollectionAsync();
        var foreign = await _http.UpsertAsync(other, "f1", Doc("foreign", [1, 1, 1, 1]));

        var r = await _http.PostAsync(Search(c), new JsonObject { ["mode"] = "keyword", ["query"] = "t", ["consistency"] = new JsonObject { ["after"] = foreign } });
        r.AssertError(HttpStatusCode.BadRequest, "consistency", "token", "after", "collection");
        await AssertIntactAsync(c);
    }

    [Fact]
    public async Task ConsistencyToken_AheadOfTheStore_IsRejected_AndItsOwnTokenStillWorks()
    {
        var c = await SeededCollectionAsync();
        string real = await _http.UpsertAsync(c, "ahead", Doc("ahead of the store", [1, 0, 1, 0]));
        Assert.True(Mosaic.Core.Consistency.ConsistencyToken.TryParse(real, out var token));
        // The same collection and slots, one write further than the store has gone: no write ever issued it.
        var forged = new Mosaic.Core.Consistency.ConsistencyToken(token!.CollectionId, token.SlotSeqs.ToDictionary(p => p.Key, p => p.Value + 1)).Encode();

        var r = await _http.PostAsync(Search(c), new JsonObject { ["mode"] = "keyword", ["query"] = "ahead", ["consistency"] = new JsonObject { ["after"] = forged } });
        r.AssertError(HttpStatusCode.BadRequest, "consistency", "token", "after", "ahead");
        Assert.Equal("invalid_token", r.Object["error"]!.GetValue<string>());

        var ok = await _http.SearchAsync(c, new JsonObject { ["mode"] = "keyword", ["query"] = "ahead", ["consistency"] = new JsonObject { ["after"] = real } });
        Assert.Equal(["ahead"], MosaicHttp.HitIds(ok));
        await AssertIntactAsync(c, expectedCount: 6);
    }

    [Fact]
    public async Task ConsistencyToken_OfADroppedCollection_IsRejected_EvenWhenTheNameIsReused()
    {
        var c = await SeededCollectionAsync();
        var stale = await _http.UpsertAsync(c, "late", Doc("late write", [1, 1, 0, 0]));
        (await _http.DeleteAsync($"collections/{c}")).AssertStatus(HttpStatusCode.OK);

        // Against the dropped collection itself: 404.
        (await _http.PostAsync(Search(c), new JsonObject { ["mode"] = "keyword", ["query"] = "t", ["consistency"] = new JsonObject { ["after"] = stale } }))
            .AssertError(HttpStatusCode.NotFound);

        // Against a new collection of the same name: the old token is not its token (and must not hang waiting for it).
        await _http.CreateCollectionAsync(c, CollectionSettings());
        var r = await _http.PostAsync(Search(c), new JsonObject { ["mode"] = "keyword", ["query"] = "t", ["consistency"] = new JsonObject { ["after"] = stale } });
        r.AssertClientError("consistency", "token", "after", "collection");
    }

    [Theory]
    [InlineData("fox AND (")]
    [InlineData("\"unbalanced quote")]
    [InlineData("NEAR(a b")]
    [InlineData("*")]
    [InlineData("title:fox")]
    [InlineData("-fox ^bar")]
    [InlineData("' OR 1=1 --")]
    [InlineData("   ")]
    [InlineData("\u0000\u0001")]
    public async Task KeywordQuery_WithSearchSyntaxCharacters_NeverFails500(string query)
    {
        var c = await SeededCollectionAsync();
        var r = await _http.PostAsync(Search(c), new JsonObject { ["mode"] = "keyword", ["query"] = query });
        if (r.StatusCode != 200)
        {
            r.AssertError(HttpStatusCode.BadRequest, "query");
        }
        else
        {
            Assert.NotNull(r.Object["hits"] as JsonArray);
        }

        await AssertIntactAsync(c);
    }

    private static JsonObject CollectionSettings() => new()
    {
        ["dimension"] = Dimension,
        ["metric"] = "cosine",
        ["shards"] = 2,
        ["fields"] = new JsonObject { ["price"] = "number", ["category"] = "keyword" },
    };

    /// <summary>A fresh collection with 5 docs, so a test can check that bad input changed nothing.</summary>
    private async Task<string> SeededCollectionAsync()
    {
        var c = Names.Unique("bad");
        await _http.CreateCollectionAsync(c, CollectionSettings());
        var (written, token) = await _http.BulkOkAsync(c, Enumerable.Range(0, 5).Select(i => Line(Doc($"t seed doc {i}", [1, i, 0, 0], new JsonObject { ["price"] = i }, id: $"s{i}"))));
        Assert.Equal(5, written);
        _seedTokens[c] = token;
        return c;
    }

    private async Task AssertIntactAsync(string c, int expectedCount = 5)
    {
        (await _http.GetAsync("health")).AssertStatus(HttpStatusCode.OK);
        Assert.Equal(expectedCount, await _http.DocCountAsync(c));
        for (var i = 0; i < 5; i++)
        {
            var doc = (await _http.GetAsync(Put(c, $"s{i}"))).AssertStatus(HttpStatusCode.OK).Object;
            Assert.Equal($"t seed doc {i}", doc["text"]!.GetValue<string>());
        }

        (await _http.GetAsync(Put(c, "x"))).AssertStatus(HttpStatusCode.NotFound);
        var hits = MosaicHttp.HitIds(await _http.SearchAsync(c, new JsonObject
        {
            ["mode"] = "keyword",
            ["query"] = "seed",
            ["top_k"] = 10,
            ["consistency"] = new JsonObject { ["after"] = _seedTokens[c] },
        }));
        Assert.Equal(5, hits.Count(h => h.StartsWith('s')));
    }
}
