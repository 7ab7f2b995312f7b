using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;

namespace Mosaic.IntegrationTests;

/// <summary>
/// A path segment with invalid percent-encoding (RFC 3986 §2.1: '%' must be followed by two hex digits; the bytes must be
/// UTF-8) is a 400 <c>invalid_path</c> naming the segment, for collection names and document ids alike; valid escapes
/// round-trip, so a PUT and a GET of the same escaped id reach one document.
/// </summary>
/// <remarks>Before: <c>/docs/%zz</c>, <c>/docs/%</c> and <c>/docs/%FF</c> were read literally, as the ids "%zz", "%" and
/// "%FF", the same documents as <c>/docs/%25zz</c>, <c>/docs/%25</c> and <c>/docs/%25FF</c>.</remarks>
public sealed class PathEncodingTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly MosaicHttp _http = fixture.Http;

    [Theory]
    [InlineData("GET", "collections/{c}/docs/%zz", "%zz")]
    [InlineData("PUT", "collections/{c}/docs/%", "%")]
    [InlineData("DELETE", "collections/{c}/docs/ab%2", "ab%2")]
    [InlineData("GET", "collections/{c}/docs/a%g1", "a%g1")]
    [InlineData("PUT", "collections/{c}/docs/%FF", "%FF")]
    [InlineData("GET", "collections/{c}/docs/%E2%82", "%E2%82")]
    [InlineData("DELETE", "collections/{c}/docs/%C0%AF", "%C0%AF")]
    [InlineData("GET", "collections/%zz", "%zz")]
    [InlineData("PUT", "collections/a%zz", "a%zz")]
    [InlineData("DELETE", "collections/{c}%", "{c}%")]
    [InlineData("POST", "collections/%2/search", "%2")]
    [InlineData("POST", "collections/{c}%x/docs:bulk", "{c}%x")]
    public async Task AnInvalidEscape_Is400InvalidPath_NamingTheSegment_AndWritesNothing(string method, string template, string segment)
    {
        var c = await CollectionWithOneDocAsync();
        string path = template.Replace("{c}", c, StringComparison.Ordinal);
        var body = method is "PUT" or "POST" ? (path.EndsWith("bulk", StringComparison.Ordinal) ? "{\"id\": \"z\", \"text\": \"z\"}\n" : """{"text": "z"}""") : null;

        var r = await SendAsWrittenAsync(method, path, body);

        r.AssertError(HttpStatusCode.BadRequest, $"segment '{segment.Replace("{c}", c, StringComparison.Ordinal)}'");
        Assert.Equal("invalid_path", r.Object["error"]!.GetValue<string>());
        Assert.Equal(1, await _http.DocCountAsync(c));
        (await _http.GetAsync($"collections/{c}/docs/d")).AssertStatus(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("a b", "a%20b")]
    [InlineData("é", "%C3%A9")]
    [InlineData("é", "%c3%a9")]
    [InlineData("日本語", "%E6%97%A5%E6%9C%AC%E8%AA%9E")]
    [InlineData("🙂", "%F0%9F%99%82")]
    [InlineData("100%", "100%25")]
    [InlineData("%zz", "%25zz")]
    [InlineData("a/b", "a%2Fb")]
    [InlineData("a+b", "a+b")]
    public async Task AValidEscape_RoundTrips_PutThenGetThenDelete(string id, string escaped)
    {
        var c = await CollectionWithOneDocAsync();
        string path = $"collections/{c}/docs/{escaped}";

        var put = await SendAsWrittenAsync("PUT", path, """{"text": "round trip"}""");
        Assert.Equal(id, put.AssertStatus(HttpStatusCode.OK).Object["id"]!.GetValue<string>());
        var get = (await SendAsWrittenAsync("GET", path, null)).AssertStatus(HttpStatusCode.OK).Object;
        Assert.Equal(id, get["id"]!.GetValue<string>());
        // The id a bulk line names is the same document.
        (await _http.BulkAsync(c, [MosaicHttp.Line(new JsonObject { ["id"] = id, ["text"] = "by bulk" })])).AssertStatus(HttpStatusCode.OK);
        Assert.Equal("by bulk", (await SendAsWrittenAsync("GET", path, null)).AssertStatus(HttpStatusCode.OK).Object["text"]!.GetValue<string>());
        Assert.Equal(2, await _http.DocCountAsync(c));
        (await SendAsWrittenAsync("DELETE", path, null)).AssertStatus(HttpStatusCode.OK);
        Assert.Equal(1, await _http.DocCountAsync(c));
    }

    [Fact]
    public async Task ThroughTheGateway_AnInvalidEscapeIs400_AndAValidOneRoundTrips()
    {
        using var dir = new TempDirectory("mosaic-escape-gw");
        await using var gateway = await MosaicProcess.StartGatewayAsync(dir.Combine("gateway.log"), "--backends", fixture.Server.BaseUrl);
        using var http = new MosaicHttp(gateway.BaseUrl);
        var c = await CollectionWithOneDocAsync();

        var bad = await http.SendAsWrittenAsync("PUT", $"collections/{c}/docs/a%zz", """{"text": "z"}"""u8.ToArray());
        bad.AssertError(HttpStatusCode.BadRequest, "segment 'a%zz'");
        Assert.Equal("invalid_path", bad.Object["error"]!.GetValue<string>());
        (await http.SendAsWrittenAsync("PUT", $"collections/{c}/docs/%C3%A9%25", """{"text": "z"}"""u8.ToArray())).AssertStatus(HttpStatusCode.OK);
        Assert.Equal("é%", (await _http.SendAsWrittenAsync("GET", $"collections/{c}/docs/%c3%a9%25", null)).AssertStatus(HttpStatusCode.OK).Object["id"]!.GetValue<string>());
        Assert.Equal(2, await _http.DocCountAsync(c));
    }

    private async Task<string> CollectionWithOneDocAsync()
    {
        var c = Names.Unique("esc");
        await _http.CreateCollectionAsync(c, new JsonObject { ["dimension"] = 0 });
        await _http.UpsertAsync(c, "d", new JsonObject { ["text"] = "the one document" });
        return c;
    }

    private Task<ApiResponse> SendAsWrittenAsync(string method, string path, string? body) => _http.SendAsWrittenAsync(
        method, path, body is null ? null : System.Text.Encoding.UTF8.GetBytes(body), path.EndsWith("bulk", StringComparison.Ordinal) ? "application/x-ndjson" : "application/json");
}
