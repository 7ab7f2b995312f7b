using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Mosaic.Testing.Fuzz;
using Xunit;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary>
/// Requests past the line and header limits, and bodies Kestrel cannot read, get a 4xx with the API's error body naming
/// the limit (not Kestrel's bare answer), change nothing, and the server goes on serving. Against a real <c>mosaic serve</c>.
/// </summary>
public sealed class RequestLimitTests() : ServeProcessTest("mosaic-limits")
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_request_line_past_the_limit_is_414_naming_the_limit()
    {
        var c = await SeededAsync();
        var r = await Http.GetAsync($"collections/{c}?pad={new string('q', 10_000)}");
        r.AssertError(HttpStatusCode.RequestUriTooLong, "8,192", "MaxRequestLineBytes");
        Assert.Equal("request_line_too_long", r.Object["error"]!.GetValue<string>());
        await AssertServingAsync(c);
    }

    [Fact]
    public async Task A_request_line_within_the_limit_is_served()
    {
        var c = await SeededAsync();
        (await Http.GetAsync($"collections/{c}?pad={new string('q', 7_000)}")).AssertStatus(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Headers_past_the_limit_are_431_naming_the_limit()
    {
        var c = await SeededAsync();
        var r = await Http.SendAsync(HttpMethod.Get, $"collections/{c}", null, new Dictionary<string, string> { ["X-Pad"] = new string('h', 40_000) });
        r.AssertError(HttpStatusCode.RequestHeaderFieldsTooLarge, "32,768", "MaxRequestHeadersBytes");
        Assert.Equal("headers_too_large", r.Object["error"]!.GetValue<string>());
        await AssertServingAsync(c);
    }

    [Fact]
    public async Task Too_many_headers_are_431_naming_the_limit()
    {
        var c = await SeededAsync();
        var headers = Enumerable.Range(0, 150).ToDictionary(i => $"X-Pad-{i}", i => "x");
        var r = await Http.SendAsync(HttpMethod.Get, $"collections/{c}", null, headers);
        r.AssertError(HttpStatusCode.RequestHeaderFieldsTooLarge, "100", "MaxRequestHeaderCount");
        await AssertServingAsync(c);
    }

    /// <summary>Each limit to the byte (or header): a request exactly at it is served, one past it refused. Written by hand,
    /// so that the bytes counted are the bytes sent; this is what an operator reads "the limit is N" as.</summary>
    [Theory]
    [InlineData("line", 0)]
    [InlineData("line", 1)]
    [InlineData("headers", 0)]
    [InlineData("headers", 1)]
    [InlineData("count", 0)]
    [InlineData("count", 1)]
    public async Task Each_limit_serves_a_request_exactly_at_it_and_refuses_one_past_it(string limit, int over)
    {
        var c = await SeededAsync();
        string start = $"GET /collections/{c}";
        const string Version = " HTTP/1.1\r\n";
        const string Fixed = "Host: x\r\nConnection: close\r\n";
        string request = limit switch
        {
            // 8,192 bytes of request line, its CRLF included.
            "line" => $"{start}?pad={new string('q', 8192 + over - start.Length - "?pad=".Length - Version.Length)}{Version}{Fixed}\r\n",
            // 32,768 bytes of header lines, the blank line that ends them included.
            "headers" => $"{start}{Version}{Fixed}X-Pad: {new string('h', (32 << 10) + over - Fixed.Length - "X-Pad: \r\n".Length - 2)}\r\n\r\n",
            // 100 header lines.
            "count" => $"{start}{Version}{Fixed}{string.Concat(Enumerable.Range(0, 98 + over).Select(i => $"X-Pad-{i}: x\r\n"))}\r\n",
            _ => throw new ArgumentOutOfRangeException(nameof(limit)),
        };

        var answer = await RawAsync(request);
        var r = new ApiResponse("GET", $"/collections/{c}", (HttpStatusCode)answer.Status, answer.Body, answer.ContentType);
        if (over == 0)
        {
            r.AssertStatus(HttpStatusCode.OK);
        }
        else
        {
            r.AssertError(
                limit == "line" ? HttpStatusCode.RequestUriTooLong : HttpStatusCode.RequestHeaderFieldsTooLarge,
                limit switch { "line" => "8,193 bytes", "headers" => "32,769 bytes", _ => "101 header lines" });
        }
    }

    [Fact]
    public async Task A_bulk_with_a_malformed_chunked_body_is_400_and_writes_nothing()
    {
        var c = await SeededAsync();
        string line = Line(Doc("chunked", [0, 0, 1, 0], id: "late")) + "\n";
        // A first chunk of a valid line, then a chunk size that is not hexadecimal.
        var body = Encoding.ASCII.GetBytes($"{line.Length:x}\r\n{line}\r\nzz\r\n{line}\r\n0\r\n\r\n");
        var r = await SendChunkedAsync("POST", $"/collections/{c}/docs:bulk", "application/x-ndjson", body);
        r.AssertError(HttpStatusCode.BadRequest, "chunk");
        await AssertServingAsync(c);
        (await Http.GetAsync($"collections/{c}/docs/late")).AssertStatus(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_document_with_an_overflowing_chunk_size_is_400_and_writes_nothing()
    {
        var c = await SeededAsync();
        // A chunk size past what Kestrel takes (its parser refuses it while the body is read, not before the request runs).
        var body = Encoding.ASCII.GetBytes("ffffffffff\r\n{\"text\": \"cut\"}\r\n0\r\n\r\n");
        var r = await SendChunkedAsync("PUT", $"/collections/{c}/docs/cut", "application/json", body);
        r.AssertClientError();
        await AssertServingAsync(c);
        (await Http.GetAsync($"collections/{c}/docs/cut")).AssertStatus(HttpStatusCode.NotFound);
    }

    /// <summary>Kestrel's own limits stay as a ceiling (a notch above Mosaic's): far past it a request is still refused,
    /// by Kestrel itself, which gives no body.</summary>
    [Fact]
    public async Task Far_past_the_limits_Kestrel_still_refuses_the_request()
    {
        var c = await SeededAsync();
        var line = await RawAsync($"GET /collections/{c}?pad={new string('q', 40_000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        Assert.True(line.Status == 414, $"a 40 KB request line: {line.Status} {line.Body}");
        var headers = await RawAsync($"GET /collections/{c} HTTP/1.1\r\nHost: x\r\nX-Pad: {new string('h', 140_000)}\r\nConnection: close\r\n\r\n");
        Assert.True(headers.Status == 431, $"140 KB of headers: {headers.Status} {headers.Body}");
        await AssertServingAsync(c);
    }

    /// <summary><c>mosaic gateway</c> in front answers the same limits itself, with the same error body.</summary>
    [Fact]
    public async Task Through_a_gateway_the_limits_answer_with_the_error_body_too()
    {
        var c = await SeededAsync();
        using var dir = new TempDirectory("mosaic-limits-gateway");
        await using var gateway = await MosaicProcess.StartGatewayAsync(dir.Combine("gateway.log"), "--backends", Http.BaseUrl);
        using var through = new MosaicHttp(gateway.BaseUrl);

        (await through.GetAsync($"collections/{c}?pad={new string('q', 10_000)}")).AssertError(HttpStatusCode.RequestUriTooLong, "MaxRequestLineBytes");
        (await through.SendAsync(HttpMethod.Get, $"collections/{c}", null, new Dictionary<string, string> { ["X-Pad"] = new string('h', 40_000) }))
            .AssertError(HttpStatusCode.RequestHeaderFieldsTooLarge, "MaxRequestHeadersBytes");

        // Found by fuzz11: a body past the gateway's limit was a 413 whose code said bad_request (YARP's client-body error).
        string tooLarge = $"PUT /collections/{c}/docs/big HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 9000000000\r\nConnection: close\r\n\r\n{{}}";
        foreach (var (who, url) in new[] { ("the gateway", gateway.BaseUrl), ("the coordinator", Http.BaseUrl) })
        {
            var answer = await RawAsync(tooLarge, url);
            Assert.True(answer.Status == 413 && answer.Body.Contains("\"error\":\"payload_too_large\"", StringComparison.Ordinal), $"{who}: {answer.Status} {answer.Body}");
        }

        (await through.GetAsync($"collections/{c}/docs/kept")).AssertStatus(HttpStatusCode.OK);
        Assert.Equal(1, await through.DocCountAsync(c));
    }

    private async Task<FuzzAnswer> RawAsync(string request, string? baseUrl = null)
    {
        using var cts = new CancellationTokenSource(Deadline);
        return await RawHttp.ExchangeAsync(new Uri(baseUrl ?? Http.BaseUrl), Encoding.ASCII.GetBytes(request), cts.Token);
    }

    private async Task<ApiResponse> SendChunkedAsync(string method, string target, string contentType, byte[] body)
    {
        using var cts = new CancellationTokenSource(Deadline);
        var head = Encoding.ASCII.GetBytes($"{method} {target} HTTP/1.1\r\nHost: x\r\nContent-Type: {contentType}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
        var answer = await RawHttp.ExchangeAsync(new Uri(Http.BaseUrl), [.. head, .. body], cts.Token);
        return new ApiResponse(method, target, (HttpStatusCode)answer.Status, answer.Body, answer.ContentType);
    }

    /// <summary>A collection with one document, so a test can check that a refused request changed nothing.</summary>
    private async Task<string> SeededAsync()
    {
        var c = Names.Unique("limits");
        await Http.CreateCollectionAsync(c, new JsonObject { ["dimension"] = 4 });
        await Http.UpsertAsync(c, "kept", Doc("kept", [1, 0, 0, 0]));
        return c;
    }

    private async Task AssertServingAsync(string c)
    {
        (await Http.GetAsync("health")).AssertStatus(HttpStatusCode.OK);
        Assert.Equal(1, await Http.DocCountAsync(c));
        (await Http.GetAsync($"collections/{c}/docs/kept")).AssertStatus(HttpStatusCode.OK);
    }
}
