using Mosaic.Core.Changes;
using Mosaic.Core.Documents;
using Mosaic.Core.Search;
using Mosaic.Testing;
using Mosaic.Worker.Shards;
using Xunit;

namespace Mosaic.Tests.Worker;

/// <summary>
/// A shard file's batched payload fetch on a real SQLite file: one statement returns exactly the held rows' text, fields
/// and vector as written, leaves out ids deleted since (or never held), and takes any id, JSON metacharacters included.
/// </summary>
public sealed class ShardFileFetchTests : IDisposable
{
    private static readonly string[] Ids = ["plain", "quote\"d", "back\\slash", "tab\tand\u0001ctl", "café", "emoji 😀", "[\"json\"]", "no-text", "bare"];

    private readonly TempDirectory _dir = new("mosaic-shard-fetch");

    [Fact]
    public void Fetch_ReturnsTheHeldRowsPayloads_AndLeavesOutDeletedAndUnknownIds()
    {
        using var file = new ShardFile(_dir.Combine("shard_000.db"));
        var written = Ids.Select((id, i) => new Document(
            id,
            id == "no-text" ? "" : id == "bare" ? null : $"text of {id} number {i}",
            id == "bare" ? null : [i, 0.5f, -i],
            id == "bare" ? null : $"{{\"n\":{i}}}")).ToDictionary(d => d.Id, StringComparer.Ordinal);
        file.Apply([.. written.Values.Select((d, i) => new ChangeRecord(1, i + 1, d.Id, ChangeKind.Upsert, d, i + 1))]);
        // Deleted after the search that found it: the fetch must leave it out, not fail or return it empty.
        file.Apply([new ChangeRecord(1, Ids.Length + 1, "café", ChangeKind.Delete, null, Ids.Length + 1)]);
        written.Remove("café");

        var reader = file.Rent();
        try
        {
            var asked = Ids.Append("never-written").Reverse().ToList();
            var all = reader.Fetch(asked, text: true, fields: true, vector: true).ToDictionary(p => p.Id, StringComparer.Ordinal);
            Assert.Equal(written.Keys.Order(StringComparer.Ordinal), all.Keys.Order(StringComparer.Ordinal));
            foreach (var (id, doc) in written)
            {
                // An empty text was never stored as text (as with FTS5 before): the payload has none.
                Assert.Equal(string.IsNullOrEmpty(doc.Text) ? null : doc.Text, all[id].Text);
                Assert.Equal(doc.FieldsJson, all[id].FieldsJson);
                Assert.Equal(doc.Vector, all[id].Vector);
            }

            var idsOnly = reader.Fetch(asked, text: false, fields: false, vector: false);
            Assert.Equal(written.Count, idsOnly.Count);
            Assert.All(idsOnly, p => Assert.True(p.Text is null && p.FieldsJson is null && p.Vector is null, p.Id));

            var some = reader.Fetch(["bare", "plain", "café"], text: true, fields: false, vector: false);
            Assert.Equal(["bare", "plain"], some.Select(p => p.Id).Order(StringComparer.Ordinal));
            Assert.Equal(written["plain"].Text, some.Single(p => p.Id == "plain").Text);
            Assert.Null(some.Single(p => p.Id == "bare").Text);
            Assert.Empty(reader.Fetch([], text: true, fields: true, vector: true));
        }
        finally
        {
            file.Return(reader);
        }
    }

    public void Dispose() => _dir.Dispose();
}
