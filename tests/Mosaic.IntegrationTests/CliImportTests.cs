using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary><c>mosaic import FILE.jsonl --collection c --url U</c> as a child process against the embedded server.</summary>
public sealed partial class CliImportTests(ServerFixture fixture, ITestOutputHelper output) : IClassFixture<ServerFixture>, IDisposable
{
    private const int Dimension = 12;
    private static readonly TimeSpan ImportTimeout = TimeSpan.FromSeconds(120);
    private readonly MosaicHttp _http = fixture.Http;
    private readonly TempDirectory _dir = new("mosaic-import");

    [Fact]
    public Task Import_LoadsEveryLine_ExitsZero_AndPrintsARate() => Seeds.RunAsync(output.WriteLine, async seed =>
    {
        var c = Names.Unique("import");
        await _http.CreateCollectionAsync(c, new JsonObject
        {
            ["dimension"] = Dimension,
            ["metric"] = "cosine",
            ["shards"] = 2,
            ["fields"] = new JsonObject { ["category"] = "keyword", ["price"] = "number" },
        });

        var generator = new ClusteredVectors(seed, Dimension, clusters: 6);
        var docs = Enumerable.Range(0, 2000).Select(i => (Id: $"imp-{i}", Word: $"imported{i}q", Vector: generator.Next())).ToList();
        var file = _dir.Combine("docs.jsonl");
        await File.WriteAllLinesAsync(file, docs.Select(d => Line(Doc($"text {d.Word}", d.Vector, new JsonObject { ["category"] = $"c{d.Id.Length % 3}", ["price"] = d.Id.Length }, id: d.Id))), new UTF8Encoding(false));

        var result = await CliRun.RunAsync(["import", file, "--collection", c, "--url", fixture.Server.BaseUrl], _dir.Combine("import.log"), ImportTimeout);
        output.WriteLine(result.Describe());
        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.True(RateRegex().IsMatch(result.Output), $"no final rate (e.g. '1234 docs/s') in the output: {result.Describe()}");

        await Wait.WaitUntilAsync(async () => await _http.DocCountAsync(c) == 2000, TimeSpan.FromSeconds(30), "doc_count == 2000 after import");

        var random = new Random(seed);
        foreach (var d in Enumerable.Range(0, 25).Select(_ => docs[random.Next(docs.Count)]))
        {
            (await _http.GetAsync($"collections/{c}/docs/{d.Id}")).AssertStatus(System.Net.HttpStatusCode.OK);
            await Wait.WaitUntilAsync(
                async () => MosaicHttp.HitIds(await _http.SearchAsync(c, new JsonObject { ["mode"] = "keyword", ["query"] = d.Word })).Contains(d.Id),
                TimeSpan.FromSeconds(30),
                $"keyword search finds {d.Id}");
            var nearest = MosaicHttp.HitIds(await _http.SearchAsync(c, new JsonObject { ["mode"] = "vector", ["vector"] = Vector(d.Vector), ["top_k"] = 3 }));
            Assert.Contains(d.Id, nearest);
        }
    });

    [Fact]
    public async Task Import_OfAFileWithABadLine_ExitsNonZero_NamingTheLine()
    {
        var c = Names.Unique("importbad");
        await _http.CreateCollectionAsync(c, new JsonObject { ["dimension"] = Dimension, ["metric"] = "cosine" });
        var file = _dir.Combine("bad.jsonl");
        var lines = Enumerable.Range(0, 10).Select(i => Line(Doc($"fine {i}", Ones(Dimension), id: $"ok{i}"))).ToList();
        lines[6] = """{"id": "broken", "text": "unterminated""";
        await File.WriteAllLinesAsync(file, lines);

        var result = await CliRun.RunAsync(["import", file, "--collection", c, "--url", fixture.Server.BaseUrl], _dir.Combine("import-bad.log"), ImportTimeout);
        output.WriteLine(result.Describe());
        Assert.True(result.ExitCode != 0, result.Describe());
        Assert.True(LineSevenRegex().IsMatch(result.Output), $"the message should name line 7: {result.Describe()}");
    }

    [Fact]
    public async Task Import_WithSmallBatches_NamesTheBadLineOfTheFile()
    {
        // The bad line is the 3rd of the 2nd batch: the message must still point at line 7 of the file.
        var c = Names.Unique("importbatch");
        await _http.CreateCollectionAsync(c, new JsonObject { ["dimension"] = Dimension, ["metric"] = "cosine" });
        var file = _dir.Combine("bad-batched.jsonl");
        var lines = Enumerable.Range(0, 10).Select(i => Line(Doc($"fine {i}", Ones(Dimension), id: $"ok{i}"))).ToList();
        lines[6] = Line(Doc("wrong dimension", Ones(Dimension + 1), id: "bad"));
        await File.WriteAllLinesAsync(file, lines);

        var result = await CliRun.RunAsync(["import", file, "--collection", c, "--url", fixture.Server.BaseUrl, "--batch", "4"], _dir.Combine("import-batched.log"), ImportTimeout);
        output.WriteLine(result.Describe());
        Assert.True(result.ExitCode != 0, result.Describe());
        Assert.True(LineSevenRegex().IsMatch(result.Output), $"the message should name line 7 of the file: {result.Describe()}");
        (await _http.GetAsync($"collections/{c}/docs/bad")).AssertStatus(System.Net.HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Import_IntoAnUnknownCollection_ExitsNonZero_NamingIt()
    {
        var file = _dir.Combine("small.jsonl");
        await File.WriteAllLinesAsync(file, [Line(Doc("x", Ones(Dimension), id: "x1"))]);
        var missing = Names.Unique("nosuch");

        var result = await CliRun.RunAsync(["import", file, "--collection", missing, "--url", fixture.Server.BaseUrl], _dir.Combine("import-unknown.log"), ImportTimeout);
        output.WriteLine(result.Describe());
        Assert.True(result.ExitCode != 0, result.Describe());
        Assert.True(result.Output.Contains(missing, StringComparison.Ordinal), $"the message should name the collection: {result.Describe()}");
    }

    [Fact]
    public async Task Import_OfAMissingFile_ExitsNonZero_NamingIt()
    {
        var c = Names.Unique("importnofile");
        await _http.CreateCollectionAsync(c, new JsonObject { ["dimension"] = Dimension });
        var file = _dir.Combine("does-not-exist.jsonl");

        var result = await CliRun.RunAsync(["import", file, "--collection", c, "--url", fixture.Server.BaseUrl], _dir.Combine("import-nofile.log"), ImportTimeout);
        output.WriteLine(result.Describe());
        Assert.True(result.ExitCode != 0, result.Describe());
        Assert.True(result.Output.Contains("does-not-exist.jsonl", StringComparison.Ordinal), $"the message should name the file: {result.Describe()}");
        Assert.Equal(0, await _http.DocCountAsync(c));
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>A valid vector for any metric (an all-zero vector has no direction and cosine collections reject it).</summary>
    private static float[] Ones(int dimension) => Enumerable.Repeat(1f, dimension).ToArray();

    [GeneratedRegex(@"\d[\d.,]*\s*(docs?|documents?|lines?)?\s*/\s*s", RegexOptions.IgnoreCase)]
    private static partial Regex RateRegex();

    [GeneratedRegex(@"(line\D{0,10}7(?!\d))|(\.jsonl:7(?!\d))", RegexOptions.IgnoreCase)]
    private static partial Regex LineSevenRegex();
}
