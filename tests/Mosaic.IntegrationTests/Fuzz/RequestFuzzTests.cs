using System.Text;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Mosaic.Testing.Fuzz;
using Xunit;
using Xunit.Abstractions;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests.Fuzz;

/// <summary>The generative bad-input run (<see cref="FuzzScenario"/>) against the embedded server, directly and through a gateway.</summary>
public sealed class RequestFuzzTests(ServerFixture fixture, ITestOutputHelper output) : IClassFixture<ServerFixture>, IDisposable
{
    private const int Dimension = 4;
    private static readonly TimeSpan Deadline = FuzzScenario.Deadline;
    private readonly MosaicHttp _http = fixture.Http;
    private readonly TempDirectory _dir = new("mosaic-fuzz");

    [Fact]
    public Task Mutated_requests_get_4xx_or_success_never_5xx_or_a_hang_and_change_nothing_else() =>
        new FuzzScenario(_http, output, _dir.Path).RunAsync(fixture.Server.BaseUrl, FuzzScenario.DefaultCases, sweep: true);

    /// <summary>The same through <c>mosaic gateway</c> (YARP), which must pass bad input on as it came, and answer its own failures as the API does.</summary>
    [Fact]
    public async Task Through_the_gateway_too()
    {
        await using var gateway = await MosaicProcess.StartGatewayAsync(_dir.Combine("gateway.log"), "--backends", fixture.Server.BaseUrl);
        int port = gateway.Port!.Value;
        await new FuzzScenario(_http, output, _dir.Path).RunAsync($"http://127.0.0.1:{port}", FuzzScenario.DefaultCases / 3, sweep: false);

        // Named regressions. A delete of the document ".." reached the coordinator as a delete of the collection (the
        // gateway rebuilt the target with System.Uri, which resolves %2E%2E); a body cut short was a 4xx labelled bad_gateway.
        var c = Names.Unique("gwdots");
        await _http.CreateCollectionAsync(c, new JsonObject { ["dimension"] = Dimension });
        await _http.UpsertAsync(c, "kept", Doc("kept", [1f, 0f, 0f, 0f]));
        using var client = new FuzzClient(new Uri($"http://127.0.0.1:{port}/"), Deadline);
        var dots = await client.SendAsync(FuzzRequest.Json("DELETE", $"collections/{c}/docs/%2E%2E", null));
        Assert.True(dots.Status == 400 && dots.Body.Contains("invalid_path", StringComparison.Ordinal), $"DELETE of the document '..' through the gateway: {dots.Status} {dots.Body}");
        Assert.Equal(1, await _http.DocCountAsync(c));

        var cut = await SendCutShortAsync(port, $"/collections/{c}/docs:bulk");
        Assert.True(cut.Status is 400 or 408 && cut.Body.Contains("\"error\":\"bad_request\"", StringComparison.Ordinal), $"a body cut short through the gateway: {cut.Status} {cut.Body}");
        Assert.Equal(1, await _http.DocCountAsync(c));
    }

    /// <summary>A POST that promises 1000 bytes of body and sends 20: the server gives up on the rest (Kestrel's minimum data rate).</summary>
    private static async Task<(int Status, string Body)> SendCutShortAsync(int port, string target)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-ndjson\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n{{\"id\": \"cut\", \"text\":"));
        using var cts = new CancellationTokenSource(Deadline);
        using var answer = new MemoryStream();
        await stream.CopyToAsync(answer, cts.Token);
        string text = Encoding.UTF8.GetString(answer.ToArray());
        int status = int.Parse(text.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
        return (status, text);
    }

    public void Dispose() => _dir.Dispose();
}
