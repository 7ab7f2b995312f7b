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
        // Found by RequestFuzzTests: an escaped lone surrogate inside a JsonElement (filter, fields) was read as a string later, a 500.
        ["lone-surrogate-in-filter-value"] = (c => new(HttpMethod.Post, Search(c), """{"mode": "keyword", "query": "t", "filter": {"field": "category", "eq": "\ud800"}}"""), HttpStatusCode.BadRequest, ["surrogate"]),
        ["lone-surrogate-in-filter-name"] = (c => new(HttpMethod.Post, Search(c), """{"mode": "keyword", "query": "t", "filter": {"field": "price", "\udc00": 1}}"""), HttpStatusCode.BadRequest, ["surrogate"]),
        ["lone-surrogate-in-fields"] = (c => new(HttpMethod.Put, Put(c), """{"text": "t", "fields": {"category": "a\udc00b"}}"""), HttpStatusCode.BadRequest, ["surrogate"]),
        ["lone-surrogate-in-bulk-fields"] = (c => new(HttpMethod.Post, $"collections/{c}/docs:bulk", "{\"id\": \"x\", \"text\": \"t\", \"fields\": {\"\\ud83d\": 1}}\n", "application/x-ndjson"), HttpStatusCode.BadRequest, ["line 1"]),
        ["filter-bound-1e309"] = (c => new(HttpMethod.Post, Search(c), """{"mode": "keyword", "query": "t", "filter": {"field": "price", "gte": 1e309}}"""), HttpStatusCode.BadRequest, ["price"]),
        ["number-field-1e309"] = (c => new(HttpMethod.Put, Put(c), """{"text": "t", "fields": {"price": 1e309}}"""), HttpStatusCode.BadRequest, ["out of range"]),
        // Found by the fuzz run's follow-up: finite components whose products overflow float32 made every search that reached
        // the document a 500 (dot, l2) or stored it unnormalized (cosine); a length that underflows left it unnormalized too.
        ["vector-component-overflows-scores"] = (c => new(HttpMethod.Put, Put(c), """{"text": "t", "vector": [3e38, 3e38, 0, 1]}"""), HttpStatusCode.BadRequest, ["vector[0]"]),
        ["vector-too-short-to-normalize"] = (c => new(HttpMethod.Put, Put(c), """{"text": "t", "vector": [1e-40, 0, 1e-41, 0]}"""), HttpStatusCode.BadRequest, ["vector"]),
        ["search-vector-component-overflows-scores"] = (c => new(HttpMethod.Post, Search(c), """{"mode": "vector", "vector": [-3e38, 1, 0, 0]}"""), HttpStatusCode.BadRequest, ["vector[0]"]),
        ["search-zero-vector-cosine"] = (c => new(HttpMethod.Post, Search(c), """{"mode": "vector", "vector": [0, 0, 0, 0]}"""), HttpStatusCode.BadRequest, ["vector"]),
        // Found by fuzz11: an and of 200,000 conditions (7 MB) took every shard past the deadline, a 503 with coverage 0.
        ["filter-over-1024-conditions"] = (c => new(HttpMethod.Post, Search(c), SearchWithFilter("and", Enumerable.Range(0, 1025).Select(i => $$"""{"field": "price", "gte": {{i}}}"""))), HttpStatusCode.BadRequest, ["1024 field conditions"]),
        ["filter-over-16384-values"] = (c => new(HttpMethod.Post, Search(c), SearchWithFilter("or", Enumerable.Range(0, 17).Select(_ => $$"""{"field": "price", "in": [{{string.Join(", ", Enumerable.Range(0, 1024))}}]}"""))), HttpStatusCode.BadRequest, ["16384 values"]),
        // Found by fuzz11: a combinator beside anything else used the first one found and dropped the rest silently.
        ["filter-and-beside-or"] = (c => new(HttpMethod.Post, Search(c), """{"mode": "keyword", "query": "t", "filter": {"and": [{"field": "price", "eq": 1}], "or": [{"field": "price", "eq": 2}]}}"""), HttpStatusCode.BadRequest, ["holds and, or"]),
        ["filter-and-beside-a-condition"] = (c => new(HttpMethod.Post, Search(c), """{"mode": "keyword", "query": "t", "filter": {"field": "price", "eq": 2, "and": [{"field": "price", "eq": 1}]}}"""), HttpStatusCode.BadRequest, ["holds field, eq, and"]),
        ["filter-not-beside-unknown"] = (c => new(HttpMethod.Post, Search(c), """{"mode": "keyword", "query": "t", "filter": {"not": {"field": "price", "eq": 1}, "nto": 1}}"""), HttpStatusCode.BadRequest, ["holds not, nto"]),
        ["search-vector-too-short-to-normalize"] = (c => new(HttpMethod.Post, Search(c), """{"mode": "vector", "vector": [1e-45, 0, 0, 0]}"""), HttpStatusCode.BadRequest, ["vector"]),
    };

    public static TheoryData<string> CaseNames() => [.. Cases.Keys];

    private static string SearchWithFilter(string op, IEnumerable<string> items) => $$$"""{"mode": "keyword", "query": "t", "filter": {"{{{op}}}": [{{{string.Join(", ", items)}}}]}}""";

    [Fact]
    public async Task AFilterOfExactly1024Conditions_IsAccepted()
    {
        var c = await SeededCollectionAsync();
        var r = await _http.SendAsync(HttpMethod.Post, Search(c), new RawBody(SearchWithFilter("or", Enumerable.Range(0, 1024).Select(i => $$"""{"field": "price", "eq": {{i}}}"""))));
        Assert.Equal(5, MosaicHttp.HitIds(r.AssertStatus(HttpStatusCode.OK).Object).Count);
    }

    private sealed record WireBad(string Method, string Path, byte[]? Body, string ContentType = "application/json");

    /// <summary>Bad input a string body or a client's normalized URL cannot carry: raw bytes, and dot segments sent as written.</summary>
    /// <remarks>Found by RequestFuzzTests. Before: invalid UTF-8 inside a filter or fields was a 500, and a dot segment named
    /// another resource (DELETE of the document ".." deleted the collection).</remarks>
    private static readonly Dictionary<string, (Func<string, WireBad> Make, HttpStatusCode Status, string[] Mentions)> WireCases = new()
    {
        ["invalid-utf8-in-filter-name"] = (c => new("POST", Search(c), [.. "{\"mode\": \"keyword\", \"query\": \"t\", \"filter\": {\"field\": \"price\", \""u8, 0xE2, 0x82, .. "lte\": 5}}"u8]), HttpStatusCode.BadRequest, ["UTF-8"]),
        ["invalid-utf8-in-fields"] = (c => new("PUT", Put(c), [.. "{\"text\": \"t\", \"fields\": {\"category\": \""u8, 0xFF, .. "\"}}"u8]), HttpStatusCode.BadRequest, ["UTF-8"]),
        ["overlong-utf8-in-text"] = (c => new("PUT", Put(c), [.. "{\"text\": \""u8, 0xC0, 0xAF, .. "\"}"u8]), HttpStatusCode.BadRequest, ["UTF-8"]),
        ["invalid-utf8-in-bulk-line-2"] = (c => new("POST", $"collections/{c}/docs:bulk", [.. "{\"id\": \"x\", \"text\": \"t\"}\n{\"id\": \"y\", \"text\": \""u8, 0xED, 0xA0, 0x80, .. "\"}\n"u8], "application/x-ndjson"), HttpStatusCode.BadRequest, ["line 2"]),
        ["dot-dot-doc-id-delete"] = (c => new("DELETE", Put(c, "%2E%2E"), null), HttpStatusCode.BadRequest, ["path"]),
        ["dot-dot-doc-id-put"] = (c => new("PUT", Put(c, ".."), "{}"u8.ToArray()), HttpStatusCode.BadRequest, ["path"]),
        ["dot-doc-id-get"] = (c => new("GET", Put(c, "%2e"), null), HttpStatusCode.BadRequest, ["path"]),
        ["dot-dot-into-the-collection"] = (c => new("DELETE", $"collections/{c}-other/../{c}", null), HttpStatusCode.BadRequest, ["path"]),
    };

    public static TheoryData<string> WireCaseNames() => [.. WireCases.Keys];

    [Theory]
    [MemberData(nameof(WireCaseNames))]
    public async Task BadRequestOnTheWire_Gets4xxNamingIt_AndChangesNothing(string caseName)
    {
        var c = await SeededCollectionAsync();
        var (make, status, mentions) = WireCases[caseName];
        var bad = make(c);

        (await SendAsWrittenAsync(bad)).AssertError(status, mentions);

        await AssertIntactAsync(c);
    }

    [Fact]
    public async Task ABodyStartingWithAByteOrderMark_IsRead()
    {
        var c = await SeededCollectionAsync();
        (await SendAsWrittenAsync(new("PUT", Put(c, "bom"), [0xEF, 0xBB, 0xBF, .. """{"text": "t bom", "vector": [0, 0, 1, 1]}"""u8]))).AssertStatus(HttpStatusCode.OK);
        Assert.Equal("t bom", (await _http.GetAsync(Put(c, "bom"))).AssertStatus(HttpStatusCode.OK).Object["text"]!.GetValue<string>());
        await AssertIntactAsync(c, expectedCount: 6);
    }

    [Fact]
    public async Task ADocumentIdOfDots_IsWrittenAndDeletedByBulkLines()
    {
        var c = await SeededCollectionAsync();
        var (written, token) = await _http.BulkOkAsync(c, [Line(Doc("t dots", [1, 1, 1, 1], id: "..")), Line(Doc("t dot", [1, 1, 1, 0], id: "."))]);
        Assert.Equal(2, written);
        var hits = MosaicHttp.HitIds(await _http.SearchAsync(c, new JsonObject { ["mode"] = "keyword", ["query"] = "dots dot", ["consistency"] = new JsonObject { ["after"] = token } }));
        Assert.Equal([".", ".."], hits.Order(StringComparer.Ordinal));
        (await _http.BulkAsync(c, [DeleteLine(".."), DeleteLine(".")])).AssertStatus(HttpStatusCode.OK);
        await AssertIntactAsync(c);
    }

    [Fact]
    public async Task OpenApi_OfAnUnknownDocument_IsAJsonNotFound()
    {
        (await _http.GetAsync("openapi/v1.json")).AssertStatus(HttpStatusCode.OK);
        (await _http.GetAsync("openapi/v2.json")).AssertError(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("/proc/mosaic-no-such-dir")]
    [InlineData("/dev/null/backup")]
    [InlineData("{temp}/a{nul}b")]
    [InlineData("{temp}/{long}")]
    public async Task Backup_IntoADirectoryTheNodeCannotMake_Is400NamingTo(string to)
    {
        using var dir = new TempDirectory("mosaic-badbackup");
        to = to.Replace("{temp}", dir.Path, StringComparison.Ordinal).Replace("{long}", new string('d', 5000), StringComparison.Ordinal).Replace("{nul}", "\0", StringComparison.Ordinal);
        var r = await _http.PostAsync("admin/backup", new JsonObject { ["to"] = to });
        r.AssertError(HttpStatusCode.BadRequest, "to:");
        Assert.True(r.Body.Length < 2000, $"the detail should not echo a 5000-character path in full: {r.Describe()}");
    }

    private Task<ApiResponse> SendAsWrittenAsync(WireBad bad) => _http.SendAsWrittenAsync(bad.Method, bad.Path, bad.Body, bad.ContentType);

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

    /// <summary>Found by the fuzz run: a 600-byte id was a 400 for DELETE but a 404 for GET, which never checked it.</summary>
    [Theory]
    [InlineData("over-512-bytes")]
    [InlineData("multibyte-over-512-bytes")]
    [InlineData("control-character")]
    public async Task ADocumentIdBreakingTheRule_IsTheSame400_OnEveryDocumentRoute(string kind)
    {
        var c = await SeededCollectionAsync();
        string id = kind switch
        {
            "over-512-bytes" => new string('a', 600),
            "multibyte-over-512-bytes" => string.Concat(Enumerable.Repeat("é", 257)),
            _ => "a\u0001b",
        };
        string url = Put(c, Uri.EscapeDataString(id));
        ApiResponse[] answers =
        [
            await _http.GetAsync(url),
            await _http.DeleteAsync(url),
            await _http.PutAsync(url, Doc("t", [1, 0, 0, 0])),
            await _http.BulkAsync(c, [Line(Doc("t", [1, 0, 0, 0], id: id))]),
            await _http.BulkAsync(c, [DeleteLine(id)]),
        ];

        var said = answers.Select(a => a.AssertError(HttpStatusCode.BadRequest, "id:").Object)
            .Select(o => $"{o["error"]} {o["detail"]!.GetValue<string>().Replace("line 1: ", "", StringComparison.Ordinal)}").Distinct().ToList();
        Assert.True(said.Count == 1, "one rule, one message: " + string.Join(" | ", said));
        await AssertIntactAsync(c);
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
