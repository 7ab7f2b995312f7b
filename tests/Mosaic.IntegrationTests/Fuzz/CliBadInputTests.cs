using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Mosaic.Testing;
using Mosaic.Testing.Fuzz;
using Xunit;
using Xunit.Abstractions;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests.Fuzz;

/// <summary>
/// The CLI given bad input: <c>mosaic import</c> with files with a mutated line (the request fuzzer's mutations, fixed
/// seed), missing files, bad URLs and flags, and a server that dies mid-import; other verbs with a store connection string
/// Npgsql cannot read or a damaged backup. Each ends with a clear message and a non-zero exit code, never a stack trace; a
/// file with a bad line writes nothing of the batch holding it.
/// </summary>
public sealed partial class CliBadInputTests(ServerFixture fixture, ITestOutputHelper output) : IClassFixture<ServerFixture>, IDisposable
{
    private const int Dimension = 4;
    private const int Seed = 20261130;
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(120);
    private readonly MosaicHttp _http = fixture.Http;
    private readonly TempDirectory _dir = new("mosaic-import-fuzz");

    [Fact]
    public async Task A_file_with_one_mutated_line_is_imported_whole_or_refused_naming_that_line()
    {
        var random = new Random(Seed);
        var mutator = new JsonMutator(random);
        for (int run = 0; run < 6; run++)
        {
            var c = Names.Unique("climut");
            await _http.CreateCollectionAsync(c, new JsonObject { ["dimension"] = Dimension, ["fields"] = new JsonObject { ["price"] = "number" } });
            var lines = Enumerable.Range(0, 8).Select(i => Doc($"line {i}", [1f, i, 0f, 1f], new JsonObject { ["price"] = i }, id: $"l{i}")).ToList();
            int bad = random.Next(lines.Count);
            byte[] mutated = mutator.Mutate(lines[bad], out string how);
            string file = _dir.Combine($"mutated-{run}.jsonl");
            await File.WriteAllBytesAsync(file, [.. lines.SelectMany((l, i) => (byte[])[.. i == bad ? mutated : Encoding.UTF8.GetBytes(l.ToJsonString()), (byte)'\n'])]);

            var result = await ImportAsync(file, c, $"mutated-{run}");
            output.WriteLine($"run {run}: line {bad + 1} {how} -> exit {result.ExitCode}");
            AssertNoStackTrace(result);
            long count = await _http.DocCountAsync(c);
            if (result.ExitCode == 0)
            {
                // The mutation happened to be valid (or made the line blank): every line counted is there.
                Assert.InRange(count, lines.Count - 1, lines.Count);
            }
            else
            {
                // One batch (the default holds the whole file): nothing written, and the message names a line of the file.
                Assert.True(LineRegex().IsMatch(result.Output), $"seed {Seed}, run {run} ({how}): the message should name a line: {result.Describe()}");
                Assert.Equal(0, count);
            }
        }
    }

    public static TheoryData<string, string[], string> BadInvocations() => new()
    {
        { "missing-file", ["import", "{dir}/no-such-file.jsonl", "--collection", "{c}", "--url", "{url}"], "no-such-file.jsonl" },
        { "directory-as-file", ["import", "{dir}", "--collection", "{c}", "--url", "{url}"], "not found" },
        { "url-not-a-url", ["import", "{file}", "--collection", "{c}", "--url", "not a url"], "--url" },
        { "url-other-scheme", ["import", "{file}", "--collection", "{c}", "--url", "ftp://127.0.0.1:1"], "--url" },
        { "url-broken-ipv6", ["import", "{file}", "--collection", "{c}", "--url", "http://[::1"], "--url" },
        { "url-refused", ["import", "{file}", "--collection", "{c}", "--url", "http://127.0.0.1:1"], "cannot reach" },
        { "url-not-the-api-root", ["import", "{file}", "--collection", "{c}", "--url", "{url}/v1/models"], "no such endpoint" },
        { "unknown-collection", ["import", "{file}", "--collection", "no-such-collection-x", "--url", "{url}"], "no-such-collection-x" },
        { "collection-bad-name", ["import", "{file}", "--collection", "Bad Name/..", "--url", "{url}"], "Bad Name" },
        { "batch-not-a-number", ["import", "{file}", "--collection", "{c}", "--url", "{url}", "--batch", "abc"], "--batch" },
        { "batch-zero", ["import", "{file}", "--collection", "{c}", "--url", "{url}", "--batch", "0"], "--batch" },
        { "batch-negative", ["import", "{file}", "--collection", "{c}", "--url", "{url}", "--batch", "-5"], "--batch" },
        { "batch-huge", ["import", "{file}", "--collection", "{c}", "--url", "{url}", "--batch", "99999999999"], "--batch" },
        { "no-collection", ["import", "{file}", "--url", "{url}"], "--collection" },
        { "no-file", ["import", "--collection", "{c}", "--url", "{url}"], "file" },
        { "unknown-flag", ["import", "{file}", "--collection", "{c}", "--url", "{url}", "--bogus"], "--bogus" },
        // Found by this table: Npgsql answers an unknown setting with a bare KeyNotFoundException, printed as a stack trace.
        { "keys-store-unknown-setting", ["keys", "create", "--role", "read", "--store", "garbage=1"], "connection string" },
        { "keys-store-bad-port", ["keys", "create", "--role", "read", "--store", "Host=127.0.0.1;Port=abc"], "connection string" },
        // Found by the tenth pass: a rate that JSON cannot carry went out to the node, and the serializer's complaint was the message.
        { "keys-url-rate-nan", ["keys", "create", "--role", "read", "--rate", "NaN", "--url", "{url}"], "rate: requests per second must be within" },
        { "keys-url-rate-infinite", ["keys", "create", "--role", "read", "--rate", "Infinity", "--url", "{url}"], "rate: requests per second must be within" },
        { "serve-store-unknown-setting", ["serve", "--store", "garbage=1", "--port", "0", "--data", "{dir}/never"], "Mosaic:Store" },
        { "restore-damaged-manifest", ["restore", "--from", "{dir}/damaged", "--data", "{dir}/restored"], "manifest" },
        { "restore-manifest-names-a-path", ["restore", "--from", "{dir}/escaping", "--data", "{dir}/restored"], "manifest" },
    };

    [Theory]
    [MemberData(nameof(BadInvocations))]
    public async Task A_bad_invocation_exits_non_zero_with_a_message_and_no_stack_trace(string name, string[] args, string mentions)
    {
        var c = Names.Unique("clibad");
        await _http.CreateCollectionAsync(c, new JsonObject { ["dimension"] = Dimension });
        string file = _dir.Combine($"{name}.jsonl");
        await File.WriteAllLinesAsync(file, [Line(Doc("fine", [1f, 1f, 1f, 1f], id: "f1"))]);
        Directory.CreateDirectory(_dir.Combine("damaged"));
        await File.WriteAllTextAsync(_dir.Combine("damaged", "manifest.json"), "{}");
        Directory.CreateDirectory(_dir.Combine("escaping"));
        await File.WriteAllTextAsync(_dir.Combine("escaping", "manifest.json"), """{"format": 1, "store": "sqlite", "file": "../escaping/manifest.json", "doc_count": 0, "log_head": 0, "collections": []}""");
        var expanded = args.Select(a => a.Replace("{dir}", _dir.Path, StringComparison.Ordinal).Replace("{file}", file, StringComparison.Ordinal)
            .Replace("{c}", c, StringComparison.Ordinal).Replace("{url}", fixture.Server.BaseUrl, StringComparison.Ordinal)).ToList();

        var result = await CliRun.RunAsync(expanded, _dir.Combine($"{name}.log"), CliTimeout);
        output.WriteLine(result.Describe());
        Assert.True(result.ExitCode != 0, result.Describe());
        Assert.True(result.Output.Contains(mentions, StringComparison.OrdinalIgnoreCase), $"the message should mention '{mentions}': {result.Describe()}");
        AssertNoStackTrace(result);
        Assert.Equal(0, await _http.DocCountAsync(c));
    }

    [Fact]
    public async Task A_server_that_dies_mid_import_gets_a_message_and_a_non_zero_exit_not_a_stack_trace()
    {
        await using var server = await MosaicProcess.StartServeAsync(_dir.Combine("dying"), _dir.Combine("dying.log"));
        using var http = new MosaicHttp(server.BaseUrl);
        var c = Names.Unique("clidie");
        await http.CreateCollectionAsync(c, new JsonObject { ["dimension"] = Dimension });
        // Small batches of a long file: the import is still sending when the server is killed, however fast the machine.
        string file = _dir.Combine("long.jsonl");
        await File.WriteAllLinesAsync(file, Enumerable.Range(0, 200_000).Select(i => $"{{\"id\":\"d{i}\",\"vector\":[1,{i % 9},0,1]}}"));

        await using var import = MosaicProcess.Start(["import", file, "--collection", c, "--url", server.BaseUrl, "--batch", "10"], _dir.Combine("dying-import.log"));
        await Wait.WaitUntilAsync(async () => await http.DocCountAsync(c) > 0, TimeSpan.FromSeconds(60), "the import has written something");
        server.Kill();

        int exit = await import.WaitForExitAsync(CliTimeout);
        string printed = string.Join('\n', import.LogText().Split('\n').Where(l => !l.StartsWith("test| ", StringComparison.Ordinal)));
        var result = new CliResult(exit, printed, import.Arguments);
        output.WriteLine(result.Describe());
        Assert.True(exit != 0, result.Describe());
        Assert.Contains("cannot reach", printed, StringComparison.Ordinal);
        AssertNoStackTrace(result);
    }

    private Task<CliResult> ImportAsync(string file, string collection, string name) =>
        CliRun.RunAsync(["import", file, "--collection", collection, "--url", fixture.Server.BaseUrl], _dir.Combine($"{name}.log"), CliTimeout);

    private static void AssertNoStackTrace(CliResult result) =>
        Assert.False(StackTraceRegex().IsMatch(result.Output), $"the CLI printed a stack trace: {result.Describe()}");

    public void Dispose() => _dir.Dispose();

    [GeneratedRegex(@"Unhandled exception|^\w+\|\s+at [\w.`<>$]+[.(]|Exception:", RegexOptions.Multiline)]
    private static partial Regex StackTraceRegex();

    [GeneratedRegex(@"line \d+", RegexOptions.IgnoreCase)]
    private static partial Regex LineRegex();
}
