using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary>
/// <c>mosaic bench</c> against a real <c>mosaic serve</c> process of its own: a closed and an open loop of a few seconds,
/// their JSON results, the server's own search counter agreeing exactly with the requests the bench reports, and bad input.
/// </summary>
public sealed partial class CliBenchTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string C = "benched";
    private const int Dimension = 8;
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(120);
    private readonly TempDirectory _dir = new("mosaic-bench");
    private MosaicProcess _server = null!;
    private MosaicHttp _http = null!;

    public async Task InitializeAsync()
    {
        _server = await MosaicProcess.StartServeAsync(_dir.Combine("data"), _dir.Combine("serve.log"));
        _http = new MosaicHttp(_server.BaseUrl, TimeSpan.FromSeconds(30));
        await Wait.WaitUntilAsync(async () => (await _http.GetAsync("ready")).StatusCode == 200, TimeSpan.FromSeconds(60), "GET /ready == 200");
        await _http.CreateCollectionAsync(C, new JsonObject { ["dimension"] = Dimension, ["metric"] = "cosine", ["shards"] = 2 });
        var vectors = new ClusteredVectors(7, Dimension, clusters: 4);
        string[] words = ["suede", "boots", "canvas", "leather", "runner", "sandal"];
        await _http.BulkOkAsync(C, Enumerable.Range(0, 200).Select(i => Line(Doc($"{words[i % 6]} {words[i / 6 % 6]} item{i}", vectors.Next(), id: $"b{i}"))));
        await Wait.WaitUntilAsync(async () => await _http.DocCountAsync(C) == 200, TimeSpan.FromSeconds(30), "doc_count == 200");
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Closed_and_open_loops_report_what_the_server_counted()
    {
        // Closed loop, generated vector queries: every request the bench sent is one search the server counted.
        string closedJson = _dir.Combine("closed.json");
        var closed = await CliRun.RunAsync(["bench", "--url", _server.BaseUrl, "--collection", C, "--clients", "2", "--duration", "3", "--warmup", "0", "--json", closedJson], _dir.Combine("closed.log"), CliTimeout);
        output.WriteLine(closed.Describe());
        Assert.True(closed.ExitCode == 0, closed.Describe());
        var first = Result(closedJson);
        Assert.Equal("closed", (string)first["loop"]!);
        Assert.Equal("vector", (string)first["mode"]!);
        Assert.Equal(2, (int)first["clients"]!);
        long closedRequests = AssertSound(first);
        Assert.Equal(0, (long)first["warmup_requests"]!);
        Assert.Matches(ProgressLine(), closed.Output);
        await AssertServerCountedAsync(closedRequests);

        // Open loop from a query file (keyword): the schedule sends exactly rate × (warm-up + duration) searches.
        string queries = _dir.Combine("queries.jsonl");
        await File.WriteAllLinesAsync(queries, ["""{"query": "suede boots"}""", """{"query": "canvas"}""", """{"query": "leather runner"}"""]);
        string openJson = _dir.Combine("open.json");
        var open = await CliRun.RunAsync(["bench", "--url", _server.BaseUrl, "-c", C, "--mode", "keyword", "--queries", queries, "--rate", "40", "--duration", "3", "--warmup", "1", "--json", openJson], _dir.Combine("open.log"), CliTimeout);
        output.WriteLine(open.Describe());
        Assert.True(open.ExitCode == 0, open.Describe());
        var second = Result(openJson);
        Assert.Equal("open", (string)second["loop"]!);
        Assert.Equal(40, (double)second["target_rate"]!);
        long openRequests = AssertSound(second);
        long openWarmup = (long)second["warmup_requests"]!;
        Assert.Equal(160, openWarmup + openRequests);
        Assert.InRange(openRequests, 100, 140);
        await AssertServerCountedAsync(closedRequests + openWarmup + openRequests);

        // Hybrid without a query file: the words come from documents that 8 vector searches find (not in the result).
        string hybridJson = _dir.Combine("hybrid.json");
        var hybrid = await CliRun.RunAsync(["bench", "--url", _server.BaseUrl, "-c", C, "--mode", "hybrid", "--clients", "1", "--duration", "1", "--warmup", "0", "--json", hybridJson], _dir.Combine("hybrid.log"), CliTimeout);
        output.WriteLine(hybrid.Describe());
        Assert.True(hybrid.ExitCode == 0, hybrid.Describe());
        Assert.Contains("taken from documents found by 8 vector searches", hybrid.Output, StringComparison.Ordinal);
        long hybridRequests = AssertSound(Result(hybridJson));
        await AssertServerCountedAsync(closedRequests + openWarmup + openRequests + 8 + hybridRequests);
    }

    [Fact]
    public async Task Bad_input_exits_2_with_a_message_and_no_stack_trace()
    {
        int unused = FreePort.Next();
        (string[] Args, string Says)[] cases =
        [
            (["bench", "--url", _server.BaseUrl, "-c", C, "--mode", "fuzzy"], "--mode must be vector, keyword or hybrid"),
            (["bench", "--url", _server.BaseUrl, "-c", C, "--rate", "0"], "--rate must be within"),
            // Seconds that no TimeSpan holds: they were turned into one before the check, an unhandled exception (exit 1).
            (["bench", "--url", _server.BaseUrl, "-c", C, "--duration", "NaN"], "--duration and --warmup must be numbers of seconds"),
            (["bench", "--url", _server.BaseUrl, "-c", C, "--duration", "1e300"], "--duration must be within"),
            (["bench", "--url", _server.BaseUrl, "-c", C, "--warmup", "-1e300"], "--warmup must be within"),
            (["bench", "-c", C], "--url is required"),
            (["bench", "--url", _server.BaseUrl, "-c", C, "--clients", "2", "--rate", "10"], "not both"),
            (["bench", "--url", _server.BaseUrl, "-c", "nosuchcollection", "--duration", "1"], "nosuchcollection"),
            (["bench", "--url", $"http://127.0.0.1:{unused.ToString(CultureInfo.InvariantCulture)}", "-c", C, "--duration", "1"], "cannot reach"),
        ];
        foreach (var (args, says) in cases)
        {
            var run = await CliRun.RunAsync(args, _dir.Combine($"bad-{Guid.NewGuid():N}.log"), CliTimeout);
            output.WriteLine(run.Describe());
            Assert.True(run.ExitCode == 2, run.Describe());
            Assert.Contains(says, run.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", run.Output, StringComparison.Ordinal);
        }
    }

    /// <summary>The measured requests, after checking that none failed and that the percentiles are ordered.</summary>
    private static long AssertSound(JsonObject result)
    {
        long requests = (long)result["requests"]!;
        Assert.True(requests > 0, "no requests measured");
        Assert.Equal(0, (long)result["errors"]!);
        Assert.Equal(requests, (long)result["ok"]! + (long)result["empty"]!);
        var latency = result["latency"]!;
        double p50 = (double)latency["p50_ms"]!, p90 = (double)latency["p90_ms"]!, p99 = (double)latency["p99_ms"]!, p999 = (double)latency["p999_ms"]!, max = (double)latency["max_ms"]!;
        Assert.True(p50 > 0 && p50 <= p90 && p90 <= p99 && p99 <= p999 && p999 <= max, $"percentiles out of order: {latency.ToJsonString()}");
        Assert.Equal(requests, (long)latency["count"]!);
        Assert.True((double)result["qps"]! > 0);
        return requests;
    }

    /// <summary>The server's searches of the collection (every outcome, cached included) equal what the bench sent.</summary>
    private async Task AssertServerCountedAsync(long expected)
    {
        long counted = 0;
        await Wait.WaitUntilAsync(
            async () => (counted = SearchesCounted((await _http.GetAsync("metrics")).Body)) >= expected,
            TimeSpan.FromSeconds(15),
            $"mosaic_searches_total of '{C}' reaches {expected}");
        Assert.Equal(expected, counted);
    }

    private static long SearchesCounted(string metrics) => SearchesLine().Matches(metrics).Sum(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));

    private static JsonObject Result(string path) => (JsonObject)JsonNode.Parse(File.ReadAllText(path))!;

    [GeneratedRegex("^mosaic_searches_total\\{[^}]*collection=\"" + C + "\"[^}]*\\} ([0-9]+)", RegexOptions.Multiline)]
    private static partial Regex SearchesLine();

    [GeneratedRegex(@"measure: [0-9]+ requests, [0-9.]+/s, p50 [0-9.]+ ms, p99 [0-9.]+ ms, errors 0")]
    private static partial Regex ProgressLine();
}
