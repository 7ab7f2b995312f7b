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

    /// <summary>
    /// By row (the search's hint): a row that still holds its id answers from the row; a row that holds another document
    /// now (its document deleted and the row id reused), a deleted row and an unknown row (-1) fall back to the id, so the
    /// answer is what the fetch by id gives, never another document's payload.
    /// </summary>
    [Fact]
    public void Fetch_ByRow_ChecksTheRowStillHoldsTheId_AndFallsBackToTheId()
    {
        using var file = new ShardFile(_dir.Combine("shard_001.db"));
        Document Doc(string id) => new(id, $"text of {id}", [id.Length, 1f], $"{{\"id\":\"{id}\"}}");
        var rows = file.Apply([.. new[] { "a", "b", "c", "moved" }.Select((id, i) => new ChangeRecord(1, i + 1, id, ChangeKind.Upsert, Doc(id), i + 1))])
            .ToDictionary(a => a.DocId, a => a.RowId, StringComparer.Ordinal);
        // "moved" had the highest row: deleted, its row id goes to "new"; then "moved" comes back under a new row.
        var later = file.Apply([
            new ChangeRecord(1, 5, "moved", ChangeKind.Delete, null, 5),
            new ChangeRecord(1, 6, "new", ChangeKind.Upsert, Doc("new"), 6),
            new ChangeRecord(1, 7, "moved", ChangeKind.Upsert, Doc("moved"), 7),
            new ChangeRecord(1, 8, "c", ChangeKind.Delete, null, 8),
        ]).Where(a => !a.Deleted).ToDictionary(a => a.DocId, a => a.RowId, StringComparer.Ordinal);
        Assert.Equal(rows["moved"], later["new"]);
        Assert.NotEqual(rows["moved"], later["moved"]);

        var reader = file.Rent();
        try
        {
            string[] ids = ["a", "moved", "c", "b", "new", "gone"];
            long[] hints = [rows["a"], rows["moved"], rows["c"], -1, later["new"], rows["b"]];
            var byRow = reader.Fetch(ids, hints, text: true, fields: true, vector: true).ToDictionary(p => p.Id, StringComparer.Ordinal);
            Assert.Equal(["a", "b", "moved", "new"], byRow.Keys.Order(StringComparer.Ordinal));
            foreach (var (id, payload) in byRow)
            {
                var doc = Doc(id);
                Assert.Equal(doc.Text, payload.Text);
                Assert.Equal(doc.FieldsJson, payload.FieldsJson);
                Assert.Equal(doc.Vector, payload.Vector);
            }

            var byId = reader.Fetch(ids, text: true, fields: false, vector: false).OrderBy(p => p.Id, StringComparer.Ordinal).ToList();
            var byRowTextOnly = reader.Fetch(ids, hints, text: true, fields: false, vector: false).OrderBy(p => p.Id, StringComparer.Ordinal).ToList();
            Assert.Equal(byId, byRowTextOnly);
        }
        finally
        {
            file.Return(reader);
        }
    }

    /// <summary>
    /// A fetch with a byte budget stops reading once its payloads pass it, by row and by id alike: an answer the
    /// coordinator would refuse is never read whole (a top_k of 1,000 documents of 1 MiB was a gigabyte of strings).
    /// </summary>
    [Fact]
    public void Fetch_StopsReading_OnceThePayloadsPassTheBudget()
    {
        const int TextChars = 10_000;
        using var file = new ShardFile(_dir.Combine("shard_002.db"));
        var ids = Enumerable.Range(0, 20).Select(i => $"big{i:D2}").ToList();
        var rows = file.Apply([.. ids.Select((id, i) => new ChangeRecord(1, i + 1, id, ChangeKind.Upsert, new Document(id, new string('x', TextChars), [i, 1f], null), i + 1))])
            .Select(a => a.RowId).ToList();
        long one = DocPayload.EstimateBytes(ids[0], new string('x', TextChars), null, 0);
        long budget = (3 * one) + (one / 2);

        var reader = file.Rent();
        try
        {
            foreach (var hints in new[] { rows, null })
            {
                var stopped = Assert.Throws<PayloadBudgetExceededException>(() => reader.Fetch(ids, hints, text: true, fields: true, vector: false, budget));
                // It stopped at the fourth document (the first past the budget), not after all twenty.
                Assert.Equal(4 * one, stopped.ReadBytes);
                Assert.Equal(budget, stopped.MaxBytes);

                // Within the budget, or without text, everything comes back; and the reader is usable after a stop.
                Assert.Equal(3, reader.Fetch(ids.Take(3).ToList(), hints?.Take(3).ToList(), text: true, fields: true, vector: false, budget).Count);
                Assert.Equal(20, reader.Fetch(ids, hints, text: false, fields: true, vector: false, budget).Count);
            }
        }
        finally
        {
            file.Return(reader);
        }
    }

    public void Dispose() => _dir.Dispose();
}
