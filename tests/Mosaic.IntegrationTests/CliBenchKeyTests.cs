using System.Text.Json.Nodes;
using Mosaic.IntegrationTests.Access;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary><c>mosaic bench</c> against a server with API keys on: without a key it stops before any load with the
/// server's 401 (exit 2); with a read key from <c>MOSAIC_API_KEY</c> every search succeeds.</summary>
public sealed class CliBenchKeyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Bench_sends_the_read_key_from_the_environment_and_says_401_without_one()
    {
        using var dir = new TempDirectory("mosaic-benchkey");
        string data = dir.Combine("data");
        string admin = await OfflineKeys.CreateAsync(data, dir);
        string read = await OfflineKeys.CreateAsync(data, dir, "read");
        await using var server = await MosaicProcess.StartServeAsync(data, dir.Combine("serve.log"), null, "--Mosaic:Auth:Enabled=true");
        using var http = new MosaicHttp(server.BaseUrl, TimeSpan.FromSeconds(30), admin);
        await http.CreateCollectionAsync("keyed", new JsonObject { ["dimension"] = 4, ["metric"] = "cosine" });
        await http.BulkOkAsync("keyed", Enumerable.Range(0, 20).Select(i => Line(Doc($"doc {i}", [1, i, 2, 3], id: $"k{i}"))));

        string[] args = ["bench", "--url", server.BaseUrl, "-c", "keyed", "--clients", "1", "--duration", "1", "--warmup", "0"];
        var refused = await CliRun.RunAsync(args, dir.Combine("refused.log"), TimeSpan.FromSeconds(120));
        output.WriteLine(refused.Describe());
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("answered 401 (unauthorized)", refused.Output, StringComparison.Ordinal);

        var keyed = await CliRun.RunAsync([.. args, "--json", dir.Combine("keyed.json")], dir.Combine("keyed.log"), TimeSpan.FromSeconds(120),
            new Dictionary<string, string> { ["MOSAIC_API_KEY"] = read });
        output.WriteLine(keyed.Describe());
        Assert.True(keyed.ExitCode == 0, keyed.Describe());
        var result = JsonNode.Parse(File.ReadAllText(dir.Combine("keyed.json")))!;
        Assert.True((long)result["requests"]! > 0);
        Assert.Equal(0, (long)result["errors"]!);
    }
}
