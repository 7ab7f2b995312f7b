using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;

namespace Mosaic.IntegrationTests;

/// <summary>The embedded server's /dashboard page, the JSON it polls, and /signals (with its bad input).</summary>
public sealed class DashboardEndpointTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly MosaicHttp _http = fixture.Http;

    [Fact]
    public async Task Dashboard_is_one_static_page_that_polls_its_data_and_signals_count_this_nodes_searches()
    {
        var page = (await _http.GetAsync("dashboard")).AssertStatus(HttpStatusCode.OK);
        Assert.StartsWith("text/html", page.ContentType, StringComparison.Ordinal);
        Assert.Contains("/data", page.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", page.Body.Replace("http://www.w3.org", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("https://", page.Body, StringComparison.Ordinal);

        var c = Names.Unique("dash");
        await _http.CreateCollectionAsync(c, new JsonObject { ["dimension"] = 2, ["shards"] = 2 });
        await _http.UpsertAsync(c, "a", new JsonObject { ["text"] = "dashboard doc", ["vector"] = new JsonArray(1.0, 0.0) });
        const int Searches = 7;
        for (int i = 0; i < Searches; i++)
        {
            (await _http.PostAsync($"collections/{c}/search", new JsonObject { ["mode"] = "keyword", ["query"] = "dashboard " + i })).AssertStatus(HttpStatusCode.OK);
        }

        // Complete seconds only: wait until the searches' second has ended.
        JsonObject signals = null!;
        await Wait.WaitUntilAsync(
            async () =>
            {
                signals = (await _http.GetAsync("signals?seconds=60")).AssertStatus(HttpStatusCode.OK).Object;
                return (long)signals["searches"]! >= Searches;
            },
            TimeSpan.FromSeconds(10),
            $"/signals counts at least {Searches} searches");
        Assert.Equal("local", (string)signals["node"]!);
        Assert.Equal("serve", (string)signals["role"]!);
        Assert.Equal(60, (double)signals["seconds"]!);
        Assert.True(signals["latency_buckets"]!.AsArray().Sum(b => (long)b!) >= Searches, signals.ToJsonString());

        JsonObject data = null!;
        await Wait.WaitUntilAsync(
            async () =>
            {
                data = (await _http.GetAsync("dashboard/data")).AssertStatus(HttpStatusCode.OK).Object;
                return data["collections"]!.AsArray().Any(x => (string)x!["name"]! == c && (long)x["documents"]! == 1);
            },
            TimeSpan.FromSeconds(30),
            "dashboard data lists the new collection with its document");
        Assert.Equal(1, (int)data["live_nodes"]!);
        Assert.Equal("serve", (string)data["role"]!);
        Assert.NotNull(data["last_minute"]);
    }

    [Theory]
    [InlineData("signals?seconds=abc")]
    [InlineData("signals?seconds=0")]
    [InlineData("signals?seconds=100000")]
    [InlineData("signals?from=10&to=5")]
    [InlineData("signals?from=x&to=5")]
    // Found by fuzz11: to - from overflowed, so a window of 2^64 seconds passed the width check and answered 200.
    [InlineData("signals?from=-9223372036854775808&to=9223372036854775807")]
    [InlineData("signals?from=-9223372036854775808&to=0")]
    [InlineData("signals?from=-5&to=-1")]
    public async Task Signals_rejects_a_bad_window_with_400(string path)
    {
        var r = (await _http.GetAsync(path)).AssertStatus(HttpStatusCode.BadRequest);
        Assert.Equal("invalid_argument", (string)r.Object["error"]!);
        Assert.False(string.IsNullOrEmpty((string?)r.Object["detail"]));
    }
}
