using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Mosaic.Testing;
using Xunit;

namespace Mosaic.IntegrationTests;

/// <summary>
/// A known route called with a method it does not take is a 405 with <c>Allow</c> listing the methods it does take and the
/// API's error body; an unknown path is a 404 with the error body. Through <c>mosaic serve</c> and <c>mosaic gateway</c> alike.
/// </summary>
/// <remarks>Before: every two-segment path (<c>POST /collections/c</c>, <c>GET /v1/embeddings</c>, <c>PUT /keys/k</c>) was a
/// 404, swallowed by gRPC's catch-all for unknown services, and <c>/metrics</c> answered every method with 200. A route that
/// takes GET takes HEAD too and answers it as GET without the body; before, HEAD was a 405.</remarks>
public sealed class WrongMethodTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IDisposable
{
    private static readonly string[] Methods = ["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH"];

    /// <summary>Headers a HEAD must answer as its GET does (the body, and so Content-Length, it leaves out).</summary>
    private static readonly string[] MirroredHeaders = ["Content-Type", "ETag", "Cache-Control", "Allow", "Retry-After"];

    /// <summary>Route values that pass the routes' constraints; any other parameter takes "x".</summary>
    private static readonly Dictionary<string, string> Samples = new() { ["documentName"] = "v1" };

    private readonly TempDirectory _dir = new("mosaic-wrong-method");

    [Fact]
    public async Task EveryRoute_AnswersEveryOtherMethodWith405_AllowAndTheErrorBody()
    {
        var routes = ApiRoutes();
        Assert.Contains("collections/x/docs/x", routes.Keys);
        var failures = new List<string>();
        foreach (var (path, allowed) in routes)
        {
            foreach (var method in Methods.Except(allowed))
            {
                if (await WrongMethodFailureAsync(fixture.Server.BaseUrl, method, path, allowed) is { } failure)
                {
                    failures.Add(failure);
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} wrong answers:\n" + string.Join("\n", failures));
    }

    [Fact]
    public async Task EveryGetRoute_AnswersHeadAsGet_WithoutTheBody()
    {
        // A collection and a document, so that their routes answer 200 (with an ETag) and not only 404.
        string collection = Names.Unique("head");
        await fixture.Http.CreateCollectionAsync(collection, new { dimension = 2 });
        await fixture.Http.UpsertAsync(collection, "d1", DocJson.Doc("head of the document", [1f, 0f]));
        // Applied, so that the collection's answer (and its ETag) stays the same between the GET and the HEAD.
        await Wait.WaitUntilAsync(async () => await fixture.Http.DocCountAsync(collection) == 1, TimeSpan.FromSeconds(30), "the document applied");
        var samples = new Dictionary<string, string>(Samples) { ["name"] = collection, ["id"] = "d1" };
        var routes = ApiRoutes(samples).Where(r => r.Value.Contains("GET")).ToList();
        Assert.Contains(routes, r => r.Key == $"collections/{collection}/docs/d1");
        var failures = new List<string>();
        int ok = 0;
        foreach (var (path, _) in routes)
        {
            using var get = await SendRawAsync(fixture.Server.BaseUrl, "GET", path);
            using var head = await SendRawAsync(fixture.Server.BaseUrl, "HEAD", path);
            byte[] headBody = await head.Content.ReadAsByteArrayAsync();
            var differences = MirroredHeaders
                .Select(h => (Name: h, Get: HeaderOf(get, h), Head: HeaderOf(head, h)))
                .Where(h => h.Get != h.Head)
                .Select(h => $"{h.Name} '{h.Head}' (GET '{h.Get}')")
                .ToList();
            if (head.StatusCode != get.StatusCode || headBody.Length != 0 || differences.Count > 0)
            {
                failures.Add($"HEAD /{path}: {(int)head.StatusCode} (GET {(int)get.StatusCode}), {headBody.Length} body bytes, {string.Join(", ", differences)}");
            }

            ok += get.StatusCode == HttpStatusCode.OK ? 1 : 0;
        }

        Assert.True(failures.Count == 0, $"{failures.Count} HEADs unlike their GET:\n" + string.Join("\n", failures));
        Assert.True(ok >= 8, $"only {ok} GET routes answered 200: the check saw too few real answers");
    }

    [Fact]
    public void EveryRoute_NamesItsMethods()
    {
        var open = ApiEndpoints().Where(e => e.Metadata.GetMetadata<IHttpMethodMetadata>() is null).Select(e => e.RoutePattern.RawText).ToList();
        Assert.True(open.Count == 0, "routes that take any method: " + string.Join(", ", open));
    }

    [Theory]
    [InlineData("GET", "nope")]
    [InlineData("POST", "a/b")]
    [InlineData("PATCH", "a/b/c")]
    [InlineData("GET", "collections/x/nope")]
    [InlineData("DELETE", "collections/x/docs/x/y")]
    public async Task AnUnknownPath_Is404WithTheErrorBody(string method, string path)
    {
        var (answer, _) = await SendAsync(fixture.Server.BaseUrl, method, path);
        answer.AssertError(HttpStatusCode.NotFound, path);
        Assert.Equal("not_found", answer.Object["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task ThroughTheGateway_AWrongMethodIs405WithAllow_AndAnUnknownPath404()
    {
        await using var gateway = await MosaicProcess.StartGatewayAsync(_dir.Combine("gateway.log"), "--backends", fixture.Server.BaseUrl);
        (string Method, string Path, string[] Allow)[] cases =
        [
            ("PATCH", "collections/x/docs/x", ["DELETE", "GET", "HEAD", "PUT"]),
            ("DELETE", "collections/x/search", ["POST"]),
            ("POST", "collections/x", ["DELETE", "GET", "HEAD", "PATCH", "PUT"]),
            ("PUT", "health", ["GET", "HEAD"]),
            ("PUT", "metrics", ["GET", "HEAD"]),
            ("HEAD", "collections/x/search", ["POST"]),
            ("GET", "v1/embeddings", ["POST"]),
        ];
        var failures = new List<string>();
        foreach (var (method, path, allow) in cases)
        {
            if (await WrongMethodFailureAsync(gateway.BaseUrl, method, path, allow) is { } failure)
            {
                failures.Add(failure);
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} wrong answers:\n" + string.Join("\n", failures));
        (await SendAsync(gateway.BaseUrl, "PATCH", "nope")).Answer.AssertError(HttpStatusCode.NotFound, "nope");

        // HEAD through the gateway: its own routes and proxied ones answer as GET, without the body.
        foreach (string path in new[] { "health", "metrics", "collections", "cluster" })
        {
            using var get = await SendRawAsync(gateway.BaseUrl, "GET", path);
            using var head = await SendRawAsync(gateway.BaseUrl, "HEAD", path);
            Assert.True(head.StatusCode == get.StatusCode && get.StatusCode == HttpStatusCode.OK, $"HEAD /{path} through the gateway: {(int)head.StatusCode}, GET {(int)get.StatusCode}");
            Assert.Empty(await head.Content.ReadAsByteArrayAsync());
            Assert.Equal(HeaderOf(get, "Content-Type"), HeaderOf(head, "Content-Type"));
        }
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>What is wrong with the answer to <paramref name="method"/> on a route that takes only <paramref name="allowed"/>; null when nothing.</summary>
    private static async Task<string?> WrongMethodFailureAsync(string baseUrl, string method, string path, IReadOnlyCollection<string> allowed)
    {
        var (answer, allow) = await SendAsync(baseUrl, method, path);
        string expected = string.Join(", ", allowed.Order(StringComparer.Ordinal));
        string? code = (answer.Json as JsonObject)?["error"] is JsonValue v && v.TryGetValue<string>(out var c) ? c : null;
        // A HEAD's answer has no body, so no error code to read.
        return answer.Status == HttpStatusCode.MethodNotAllowed && (code == "method_not_allowed" || (method == "HEAD" && answer.Body.Length == 0)) && allow == expected
            ? null
            : $"{answer.Describe()} Allow: '{allow}', expected 405 method_not_allowed with Allow: '{expected}'";
    }

    private static async Task<(ApiResponse Answer, string Allow)> SendAsync(string baseUrl, string method, string path)
    {
        using var response = await SendRawAsync(baseUrl, method, path);
        string allow = string.Join(", ", response.Content.Headers.Allow.Order(StringComparer.Ordinal));
        var answer = new ApiResponse(method, "/" + path, response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.MediaType);
        return (answer, allow);
    }

    private static async Task<HttpResponseMessage> SendRawAsync(string baseUrl, string method, string path)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(new HttpMethod(method), $"{baseUrl}/{path}");
        if (method is "PUT" or "POST" or "PATCH")
        {
            request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
        }

        return await http.SendAsync(request);
    }

    /// <summary>A response or content header's values, joined; "" when absent.</summary>
    private static string HeaderOf(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? string.Join(", ", values) : "";

    /// <summary>The API's endpoints: every mapped route but gRPC's (its methods, which a coordinator's peers call, and its
    /// answer to an unknown method of its service, which must take any method).</summary>
    private List<RouteEndpoint> ApiEndpoints() => fixture.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints
        .OfType<RouteEndpoint>()
        .Where(e => e.DisplayName?.StartsWith("gRPC - ", StringComparison.Ordinal) != true)
        .ToList();

    /// <summary>Each route's path with sample values, and the methods that path takes (several routes may share one path).</summary>
    private Dictionary<string, string[]> ApiRoutes(IReadOnlyDictionary<string, string>? samples = null) => ApiEndpoints()
        .GroupBy(e => Path(e.RoutePattern, samples ?? Samples))
        .ToDictionary(g => g.Key, g => g.SelectMany(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Distinct().ToArray());

    private static string Path(RoutePattern pattern, IReadOnlyDictionary<string, string> samples) => string.Join('/', pattern.PathSegments.Select(s => string.Concat(s.Parts.Select(p => p switch
    {
        RoutePatternLiteralPart literal => literal.Content,
        RoutePatternSeparatorPart separator => separator.Content,
        RoutePatternParameterPart parameter => samples.GetValueOrDefault(parameter.Name, "x"),
        _ => "x",
    }))));
}
