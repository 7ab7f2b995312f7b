using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary>
/// After a clean stop (SIGTERM) every SQLite file of the data directory holds its own rows: an operator who copies the
/// directory without the write-ahead logs beside the files (a cold copy that skips "-wal" files, a tool that backs up
/// *.db) still has every document.
/// </summary>
public sealed class CleanStopTests(ITestOutputHelper output) : IDisposable
{
    private const int Dimension = 8;
    private const string C = "stopped";
    private readonly TempDirectory _dir = new("mosaic-clean-stop");

    [Fact]
    public Task A_clean_stop_folds_every_write_ahead_log_into_its_file() => Seeds.RunAsync(output.WriteLine, async seed =>
    {
        var dataDir = _dir.Combine("data");
        var generator = new ClusteredVectors(seed, Dimension, clusters: 4);
        var ids = Enumerable.Range(0, 300).Select(i => $"doc-{i}").ToList();
        await using (var first = await MosaicProcess.StartServeAsync(dataDir, _dir.Combine("first.log")))
        {
            using var http = new MosaicHttp(first.BaseUrl);
            await http.CreateCollectionAsync(C, new JsonObject { ["dimension"] = Dimension, ["metric"] = "cosine", ["shards"] = 2 });
            await http.BulkOkAsync(C, ids.Select(id => Line(Doc($"text of {id}", generator.Next(), id: id))));
            (await http.DeleteAsync($"collections/{C}/docs/doc-0")).AssertStatus(System.Net.HttpStatusCode.OK);
            Assert.Equal(0, await first.StopAsync(TimeSpan.FromSeconds(60)));
        }

        var logs = Directory.GetFiles(dataDir, "*-wal", SearchOption.AllDirectories).Where(f => new FileInfo(f).Length > 0).ToList();
        Assert.True(logs.Count == 0, "write-ahead logs left with rows after a clean stop: " + string.Join(", ", logs));

        // The copy without any "-wal" or "-shm" file serves what the stopped server held.
        var copyDir = _dir.Combine("copy");
        foreach (var file in Directory.GetFiles(dataDir, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith("-wal", StringComparison.Ordinal) && !f.EndsWith("-shm", StringComparison.Ordinal)))
        {
            var target = Path.Combine(copyDir, Path.GetRelativePath(dataDir, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        await using var copy = await MosaicProcess.StartServeAsync(copyDir, _dir.Combine("copy.log"));
        using var again = new MosaicHttp(copy.BaseUrl);
        await Wait.WaitUntilAsync(async () => await again.DocCountAsync(C) == ids.Count - 1, TimeSpan.FromSeconds(60), $"{ids.Count - 1} documents in the copy");
        (await again.GetAsync($"collections/{C}/docs/doc-299")).AssertStatus(System.Net.HttpStatusCode.OK);
        (await again.GetAsync($"collections/{C}/docs/doc-0")).AssertStatus(System.Net.HttpStatusCode.NotFound);
    });

    public void Dispose() => _dir.Dispose();
}
