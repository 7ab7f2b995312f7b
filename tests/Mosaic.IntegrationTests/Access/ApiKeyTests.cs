using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.IntegrationTests.Access;

/// <summary>
/// API keys on an embedded server with <c>Mosaic:Auth:Enabled</c>: the first admin key made offline by the CLI, the role
/// every route needs (401 without a key or with an unknown one, 403 below the role, the route's own answer at or above it),
/// keys made, listed and revoked through the CLI, and the start-up warning when keys are off beyond loopback.
/// </summary>
public sealed class ApiKeyTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _dir = new("mosaic-keys");
    private MosaicServer _server = null!;

    private MosaicHttp Http => _server.Http;

    public async Task InitializeAsync() =>
        _server = await MosaicServer.StartAsync(new Dictionary<string, string?> { ["Mosaic:Auth:Enabled"] = "true" });

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    /// <summary>One request of the matrix: the role it needs, and what it answers for a key with that role or more.</summary>
    private sealed record Route(string Method, string Path, object? Body, string Role, int Allowed);

    private static List<Route> Routes(string c, string suffix) =>
    [
        new("GET", "collections", null, "read", 200),
        new("GET", $"collections/{c}", null, "read", 200),
        new("GET", $"collections/{c}/docs/d1", null, "read", 200),
        new("POST", $"collections/{c}/search", new { mode = "keyword", query = "words" }, "read", 200),
        new("POST", $"collections/{c}/search:batch", new { searches = new[] { new { mode = "keyword", query = "words" } } }, "read", 200),
        new("GET", "cluster", null, "read", 200),
        new("GET", "metrics", null, "read", 200),
        new("GET", "openapi/v1.json", null, "read", 200),
        new("GET", "v1/models", null, "read", 200),
        new("GET", "dashboard/data", null, "read", 200),
        new("PUT", $"collections/{c}/docs/w-{suffix}", new { text = "written words" }, "write", 200),
        new("DELETE", $"collections/{c}/docs/absent", null, "write", 404),
        new("POST", $"collections/{c}/docs:bulk", new RawBody($"{{\"id\":\"b-{suffix}\",\"text\":\"bulk words\"}}\n", "application/x-ndjson"), "write", 200),
        new("PUT", $"collections/new-{suffix}", new { dimension = 0, shards = 1 }, "admin", 201),
        new("PATCH", "collections/no-such-collection", new { replicas = 2 }, "admin", 404),
        new("DELETE", "collections/no-such-collection", null, "admin", 404),
        new("POST", "collections/no-such-collection/shards/0:split", null, "admin", 404),
        new("POST", "cluster/nodes/no-such-node:drain", null, "admin", 404),
        new("POST", "cluster/nodes/no-such-node:undrain", null, "admin", 404),
        new("POST", "admin/backup", new { }, "admin", 400),
        new("GET", "keys", null, "admin", 200),
        new("POST", "keys", new { role = "read" }, "admin", 201),
        new("DELETE", "keys/0000000000000000", null, "admin", 404),
    ];

    private static readonly string[] Ranks = ["read", "write", "admin"];

    [Fact]
    public async Task EveryRoute_Answers401WithoutAKey_403BelowItsRole_AndItsOwnAnswerAtOrAboveIt()
    {
        // The probes need no key (checked before a new collection makes /ready wait for its shards).
        foreach (var probe in new[] { "health", "ready" })
        {
            (await SendAsync("GET", probe, null, null)).AssertStatus(HttpStatusCode.OK);
        }

        string admin = await OfflineKeys.CreateAsync(_server.DataDir, _dir);
        var c = Names.Unique("keys");
        (await SendAsync("PUT", $"collections/{c}", new { dimension = 0, shards = 1 }, admin)).AssertStatus(HttpStatusCode.Created);
        (await SendAsync("PUT", $"collections/{c}/docs/d1", new { text = "some words" }, admin)).AssertStatus(HttpStatusCode.OK);
        var keys = new Dictionary<string, string> { ["admin"] = admin };
        foreach (var role in new[] { "read", "write" })
        {
            var created = (await SendAsync("POST", "keys", new { role }, admin)).AssertStatus(HttpStatusCode.Created).Object;
            Assert.Equal(role, created["role"]!.GetValue<string>());
            keys[role] = created["key"]!.GetValue<string>();
        }

        var failures = new List<string>();
        foreach (var (role, key) in keys.Select(k => (k.Key, (string?)k.Value)).Append(("none", null)).Append(("unknown", "mk_not-a-real-key")))
        {
            foreach (var route in Routes(c, role))
            {
                var answer = await SendAsync(route.Method, route.Path, route.Body, key);
                int expected = key is null || role == "unknown" ? 401
                    : Array.IndexOf(Ranks, role) < Array.IndexOf(Ranks, route.Role) ? 403
                    : route.Allowed;
                if (answer.StatusCode != expected || (expected is 401 or 403 && answer.Json?["error"] is null))
                {
                    failures.Add($"{role} key: expected {expected}, got {answer.Describe()}");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task EveryMappedRoute_NeedsAKey_ExceptHealthReadySignalsAndTheDashboardPage()
    {
        var endpoints = _server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        Assert.NotEmpty(endpoints);
        var open = new List<string>();
        foreach (var endpoint in endpoints)
        {
            string path = string.Join('/', endpoint.RoutePattern.PathSegments.Select(s => string.Concat(s.Parts.Select(p => p switch
            {
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart literal => literal.Content,
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternSeparatorPart separator => separator.Content,
                _ => "x",
            }))));
            foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
            {
                var answer = await SendAsync(method, path, null, null);
                // The dashboard page is static (no data): it opens without a key and asks for one for dashboard/data.
                bool probe = path is "health" or "ready" or "signals" || (path == "dashboard" && method is "GET" or "HEAD");
                if (probe ? answer.StatusCode == 401 : answer.StatusCode != 401)
                {
                    open.Add($"{endpoint.RoutePattern.RawText}: {answer.Describe()}");
                }
            }
        }

        Assert.True(open.Count == 0, "routes that do not need a key (or probes that do):\n" + string.Join("\n", open));
    }

    [Fact]
    public async Task Cli_CreatesListsAndRevokesKeys_AndARevokedKeyStopsWorking()
    {
        string admin = await OfflineKeys.CreateAsync(_server.DataDir, _dir);
        string url = _server.BaseUrl;

        // Through the running node: the admin key from the environment variable, or from --key.
        var created = await CliAsync(["keys", "create", "--role", "read", "--rate", "50", "--url", url], new Dictionary<string, string> { ["MOSAIC_API_KEY"] = admin });
        string reader = Assert.Single(created.Stdout);
        Assert.StartsWith("mk_", reader, StringComparison.Ordinal);
        (await SendAsync("GET", "collections", null, reader)).AssertStatus(HttpStatusCode.OK);
        (await SendAsync("PUT", "collections/denied", new { dimension = 0 }, reader)).AssertError(HttpStatusCode.Forbidden, "admin");

        // A key too low for /keys is refused by the node, and the CLI says so.
        var refused = await CliAsync(["keys", "create", "--role", "admin", "--url", url, "--key", reader], expectedExit: 1);
        Assert.Contains("403", refused.Output, StringComparison.Ordinal);

        var list = await CliAsync(["keys", "list", "--url", url, "--key", admin]);
        var all = (await SendAsync("GET", "keys", null, admin)).AssertStatus(HttpStatusCode.OK).Object["keys"]!.AsArray();
        Assert.Equal(2, all.Count);
        Assert.DoesNotContain(all, k => k!["key"] is not null);
        foreach (var k in all)
        {
            Assert.Contains(k!["id"]!.GetValue<string>(), list.Output, StringComparison.Ordinal);
        }

        Assert.Equal(50, all.Single(k => k!["role"]!.GetValue<string>() == "read")!["rate"]!.GetValue<double>());

        await CliAsync(["keys", "revoke", reader, "--url", url, "--key", admin]);
        (await SendAsync("GET", "collections", null, reader)).AssertError(HttpStatusCode.Unauthorized, "revoked");
        var revoked = (await SendAsync("GET", "keys", null, admin)).Object["keys"]!.AsArray().Single(k => k!["role"]!.GetValue<string>() == "read");
        Assert.NotNull(revoked!["revoked_at"]);

        // Offline against the store, the same verbs need no key.
        var offline = await CliAsync(["keys", "list", "--data", _server.DataDir]);
        Assert.Contains(revoked["id"]!.GetValue<string>(), offline.Output, StringComparison.Ordinal);
        await CliAsync(["keys", "create", "--role", "root", "--data", _server.DataDir], expectedExit: 1);
    }

    [Fact]
    public async Task KeysOff_BeyondLoopback_LogsAWarningAtStartUp()
    {
        await using var serve = await MosaicProcess.StartServeAsync(_dir.Combine("open-data"), _dir.Combine("open.log"), null, "--host", "0.0.0.0");
        await Wait.WaitUntilAsync(() => serve.LogText().Contains("API keys are off", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the keys-off warning in the log");
        await using var loopback = await MosaicProcess.StartServeAsync(_dir.Combine("loop-data"), _dir.Combine("loop.log"));
        Assert.DoesNotContain("API keys are off", loopback.LogText(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("the admin key twice")]
    [InlineData("an unknown key, then the admin key")]
    [InlineData("the admin key twice, the header's name spelled in two cases")]
    [InlineData("an unknown key, then the admin key, through a gateway")]
    [InlineData("the admin key twice, through a gateway")]
    public async Task TwoAuthorizationHeaders_Are401SayingThatExactlyOneIsAllowed(string which)
    {
        string admin = await OfflineKeys.CreateAsync(_server.DataDir, _dir);
        (await SendAsync("GET", "collections", null, admin)).AssertStatus(HttpStatusCode.OK);
        string first = which.StartsWith("the admin", StringComparison.Ordinal) ? admin : "mk_" + new string('A', 43);
        // Header names are case-insensitive: "authorization" and "AUTHORIZATION" are the same header, twice.
        var (one, two) = which.EndsWith("cases", StringComparison.Ordinal) ? ("authorization", "AUTHORIZATION") : ("Authorization", "Authorization");
        // Two header lines: HttpClient would join them into one, so the request is written by hand.
        string request = $"GET /collections HTTP/1.1\r\nHost: x\r\n{one}: Bearer {first}\r\n{two}: Bearer {admin}\r\nConnection: close\r\n\r\n";
        // The gateway (YARP) forwards the two lines joined into one, "Bearer a, Bearer b": the node must tell that too.
        int port = FreePort.Next();
        await using var gateway = which.EndsWith("gateway", StringComparison.Ordinal) ? await GatewayAsync(port) : null;
        using var cts = new CancellationTokenSource(CliTimeout);
        var answer = await RawHttp.ExchangeAsync(new Uri(gateway is null ? _server.BaseUrl : $"http://127.0.0.1:{port}"), System.Text.Encoding.ASCII.GetBytes(request), cts.Token);
        var r = new ApiResponse("GET", "/collections", (HttpStatusCode)answer.Status, answer.Body, answer.ContentType);
        r.AssertError(HttpStatusCode.Unauthorized, "exactly one Authorization header");
        Assert.DoesNotContain("unknown or revoked", r.Body, StringComparison.Ordinal);
    }

    /// <summary>A <c>mosaic gateway</c> process on <paramref name="port"/> in front of the server, ready.</summary>
    private async Task<MosaicProcess> GatewayAsync(int port)
    {
        var process = MosaicProcess.Start(["gateway", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--backends", _server.BaseUrl], _dir.Combine($"gateway-{port}.log"));
        using var through = new MosaicHttp($"http://127.0.0.1:{port}");
        await Wait.WaitUntilAsync(async () => (await through.GetAsync("ready")).StatusCode == 200, TimeSpan.FromSeconds(60), "the gateway is ready");
        return process;
    }

    private async Task<CliResult> CliAsync(string[] args, IReadOnlyDictionary<string, string>? environment = null, int expectedExit = 0)
    {
        var result = await CliRun.RunAsync(args, _dir.Combine($"cli-{Guid.NewGuid():N}.log"), CliTimeout, environment);
        output.WriteLine(result.Describe());
        Assert.True(result.ExitCode == expectedExit, $"expected exit {expectedExit}: {result.Describe()}");
        return result;
    }

    private Task<ApiResponse> SendAsync(string method, string path, object? body, string? key) =>
        Http.SendAsync(new HttpMethod(method), path, body, key is null ? null : new Dictionary<string, string> { ["Authorization"] = $"Bearer {key}" });
}
