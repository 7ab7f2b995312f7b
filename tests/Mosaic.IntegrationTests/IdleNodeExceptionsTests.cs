using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Mosaic.Testing;
using Xunit;

namespace Mosaic.IntegrationTests;

/// <summary>
/// An idle node throws no exceptions: every shard replica waits for the store's change signal with the poll interval as
/// its fallback, and that timeout used to end in a TimeoutException per wait (about 240 a second on a node holding 330
/// shards, in <c>dotnet_exceptions_total</c>). Here 24 shards polling every 50 ms would throw ~500 in the window.
/// </summary>
/// <remarks>A real <c>mosaic serve</c> process: the runtime's exception counter is per process.</remarks>
public sealed partial class IdleNodeExceptionsTests() : ServeProcessTest("mosaic-idle", "--Mosaic:Worker:PollInterval=00:00:00.050")
{
    private const int Shards = 24;

    [Fact]
    public async Task Replicas_waiting_for_changes_throw_no_exceptions()
    {
        await Http.CreateCollectionAsync("idle", new JsonObject { ["dimension"] = 4, ["metric"] = "cosine", ["shards"] = Shards });
        await Http.BulkOkAsync("idle", [DocJson.Line(DocJson.Doc("one document", [1, 0, 0, 0], id: "d1"))]);
        await Wait.WaitUntilAsync(async () => await Http.DocCountAsync("idle") == 1, TimeSpan.FromSeconds(30), "doc_count == 1");
        await Wait.WaitUntilAsync(async () => (await Http.GetAsync("ready")).Status == System.Net.HttpStatusCode.OK, TimeSpan.FromSeconds(30), "ready");

        // Every replica has opened and is now polling; count what the process throws over 2 s of idling (the metrics
        // scrapes themselves throw nothing).
        long before = await ExceptionsAsync();
        await Task.Delay(TimeSpan.FromSeconds(2));
        long after = await ExceptionsAsync();

        // 24 replicas x 20 polls a second x 2 s: ~960 with a throw per poll; a few are allowed for anything unrelated.
        Assert.True(after - before < 20, $"{after - before} exceptions thrown by an idle node in 2 s");
        Assert.Equal(1, await Http.DocCountAsync("idle"));
    }

    /// <summary>dotnet_exceptions_total summed over its error types (0 before the first exception).</summary>
    private async Task<long> ExceptionsAsync()
    {
        string metrics = (await Http.GetAsync("metrics")).Body;
        Assert.Contains("dotnet_", metrics, StringComparison.Ordinal);
        return Exceptions().Matches(metrics).Sum(m => long.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex("^dotnet_exceptions_total(\\{[^}]*\\})? (?<n>[0-9]+)", RegexOptions.Multiline)]
    private static partial Regex Exceptions();
}
