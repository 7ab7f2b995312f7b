using System.Net;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Operations;

/// <summary>
/// /dashboard with API keys on: the static page opens without a key, /dashboard/data still needs a read key. Headless
/// Chromium sees the page ask for a key (and say why) when it has none or a refused one, and with a read key given as
/// <c>#key=</c> (moved into sessionStorage and sent as <c>Authorization: Bearer</c>) it renders the live node count.
/// </summary>
public sealed class DashboardKeyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task With_keys_on_the_page_asks_for_a_read_key_and_renders_with_one()
    {
        using var dir = new TempDirectory("mosaic-dashkey");
        string data = dir.Combine("data");
        var created = await CliRun.RunAsync(["keys", "create", "--role", "read", "--data", data], dir.Combine("keys.log"), TimeSpan.FromSeconds(60));
        Assert.True(created.ExitCode == 0, created.Describe());
        string readKey = Assert.Single(created.Stdout);

        await using var server = await MosaicProcess.StartServeAsync(data, dir.Combine("serve.log"), null,
            "--Mosaic:Auth:Enabled=true", "--Mosaic:Observability:SampleInterval=00:00:01");
        using var anonymous = new MosaicHttp(server.BaseUrl, TimeSpan.FromSeconds(30));
        var page = (await anonymous.GetAsync("dashboard")).AssertStatus(HttpStatusCode.OK);
        Assert.Contains("key-form", page.Body, StringComparison.Ordinal);
        (await anonymous.GetAsync("dashboard/data")).AssertStatus(HttpStatusCode.Unauthorized);
        using var reader = new MosaicHttp(server.BaseUrl, TimeSpan.FromSeconds(30), readKey);
        (await reader.GetAsync("dashboard/data")).AssertStatus(HttpStatusCode.OK);

        using var profile = new TempDirectory("mosaic-chromium");
        string url = server.BaseUrl + "/dashboard";
        string without = await HeadlessChromium.DumpDomAsync(url, profile.Path, TimeSpan.FromSeconds(3));
        output.WriteLine(without[..Math.Min(3000, without.Length)]);
        Assert.Contains("This server has API keys on: enter a read key", DashboardTests.Tile(without, "auth"), StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"key-form\" hidden", without, StringComparison.Ordinal);
        Assert.Equal("–", DashboardTests.Tile(without, "live-nodes"));

        using var refusedProfile = new TempDirectory("mosaic-chromium");
        string refused = await HeadlessChromium.DumpDomAsync(url + "#key=mk_not-a-real-key", refusedProfile.Path, TimeSpan.FromSeconds(3));
        Assert.Contains("The API key was refused", DashboardTests.Tile(refused, "auth"), StringComparison.Ordinal);

        using var keyedProfile = new TempDirectory("mosaic-chromium");
        string keyed = await HeadlessChromium.DumpDomAsync(url + "#key=" + readKey, keyedProfile.Path, TimeSpan.FromSeconds(3));
        output.WriteLine(keyed[..Math.Min(3000, keyed.Length)]);
        Assert.Equal("1", DashboardTests.Tile(keyed, "live-nodes"));
        Assert.Contains("id=\"auth\" role=\"alert\" hidden", keyed, StringComparison.Ordinal);
        // The key left the address bar (and never went to the server in a URL).
        Assert.DoesNotContain(readKey, keyed, StringComparison.Ordinal);
    }
}
