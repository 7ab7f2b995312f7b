using System.Globalization;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary>
/// The embedded store itself damaged (unlike shard files, it is the source of truth): <c>mosaic serve</c> refuses to
/// start with one message naming the file and the way back instead of a stack trace, and that way back (restoring the
/// last backup into a new directory) serves every document again.
/// </summary>
public sealed class StoreCorruptionTests(ITestOutputHelper output) : IDisposable
{
    private const int Dimension = 8;
    private const string C = "kept";
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(120);
    private readonly TempDirectory _dir = new("mosaic-corrupt-store");

    [Fact]
    public Task A_damaged_store_stops_start_up_with_a_message_naming_it_and_a_restore_brings_it_back() => Seeds.RunAsync(output.WriteLine, async seed =>
    {
        var dataDir = _dir.Combine("data");
        var backupDir = _dir.Combine("backup");
        var generator = new ClusteredVectors(seed, Dimension, clusters: 4);
        var ids = Enumerable.Range(0, 200).Select(i => $"doc-{i}").ToList();
        await using (var first = await MosaicProcess.StartServeAsync(dataDir, _dir.Combine("first.log")))
        {
            using var http = new MosaicHttp(first.BaseUrl);
            await http.CreateCollectionAsync(C, new JsonObject { ["dimension"] = Dimension, ["metric"] = "cosine", ["shards"] = 2 });
            await http.BulkOkAsync(C, ids.Select(id => Line(Doc($"text of {id}", generator.Next(), id: id))));
            var backup = await CliRun.RunAsync(["backup", "--to", backupDir, "--url", first.BaseUrl], _dir.Combine("backup.log"), CliTimeout);
            Assert.True(backup.ExitCode == 0, backup.Describe());
            Assert.Equal(0, await first.StopAsync(TimeSpan.FromSeconds(60)));
        }

        // The clean stop folded the write-ahead log into the file, so the damage below hits the rows: keep the first two
        // pages (the header and the schema: the file still opens) and overwrite the rest.
        string store = Path.Combine(dataDir, "store.db");

        long length = new FileInfo(store).Length;
        Assert.True(length > 4 * 4096, $"{store} holds {length} bytes: too little to damage its rows");
        await using (var stream = new FileStream(store, FileMode.Open, FileAccess.Write))
        {
            stream.Position = 2 * 4096;
            stream.Write(Enumerable.Repeat((byte)0x5A, (int)(length - (2 * 4096))).ToArray());
        }

        var refused = await CliRun.RunAsync(["serve", "--port", FreePort.Next().ToString(CultureInfo.InvariantCulture), "--data", dataDir], _dir.Combine("second.log"), CliTimeout);
        Assert.True(refused.ExitCode == 4, refused.Describe());
        Assert.Contains("the store is damaged: " + Path.GetFullPath(store), refused.Output, StringComparison.Ordinal);
        Assert.Contains("mosaic restore --from", refused.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", refused.Output, StringComparison.Ordinal);

        // The way the message gives.
        var restoredDir = _dir.Combine("restored");
        var restore = await CliRun.RunAsync(["restore", "--from", backupDir, "--data", restoredDir], _dir.Combine("restore.log"), CliTimeout);
        Assert.True(restore.ExitCode == 0, restore.Describe());
        await using var restored = await MosaicProcess.StartServeAsync(restoredDir, _dir.Combine("restored.log"));
        using var again = new MosaicHttp(restored.BaseUrl);
        await Wait.WaitUntilAsync(async () => await again.DocCountAsync(C) == ids.Count, TimeSpan.FromSeconds(60), $"{ids.Count} documents after the restore");
        var hit = await again.GetAsync($"collections/{C}/docs/doc-7");
        hit.AssertStatus(System.Net.HttpStatusCode.OK);
    });

    public void Dispose() => _dir.Dispose();
}
