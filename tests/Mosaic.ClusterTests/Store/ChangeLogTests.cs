using Mosaic.Core.Changes;
using Mosaic.Core.Documents;
using Mosaic.Core.Seams;
using Mosaic.Core.Slots;
using Mosaic.Store.Sqlite;
using Mosaic.Testing;
using Xunit;

namespace Mosaic.ClusterTests.Store;

/// <summary>The change log of the PostgreSQL store: order, the joined current document, and the same answers as the embedded store.</summary>
[Collection(StoreCollection.Name)]
public sealed class ChangeLogTests(PostgresFixture postgres)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Reading_a_slot_returns_its_changes_in_order_with_the_current_document()
    {
        string cs = await postgres.NewDatabaseAsync();
        await using var store = Stores.Open(cs);
        var (collection, _) = await store.CreateAsync(Stores.Spec(), None);
        var ids = Stores.IdsInOneSlot(collection.Name, 2, out int slot);
        string kept = ids[0], dropped = ids[1];

        await store.WriteAsync(collection, Stores.Upsert(kept, "v1"));
        await store.WriteAsync(collection, Stores.Upsert(dropped, "short-lived"), Stores.Upsert(kept, "v2"));
        await store.WriteAsync(collection, Stores.Delete(dropped));
        var (last, _) = await store.WriteAsync(collection, Stores.Upsert(kept, "v3", [0, 0, 1, 0], """{"tag":"t"}"""));

        var log = await store.ReadSlotAsync(collection, slot);
        Assert.Equal([1L, 2L, 3L, 4L, 5L], log.Select(c => c.Seq));
        Assert.Equal([kept, dropped, kept, dropped, kept], log.Select(c => c.DocId));
        Assert.All(log, c => Assert.Equal(slot, c.Slot));
        // Every change of a live document carries its current state and the seq that state was written at.
        Assert.All(log.Where(c => c.DocId == kept), c =>
        {
            Assert.Equal(ChangeKind.Upsert, c.Kind);
            Assert.Equal(("v3", """{"tag":"t"}""", 5L), (c.Document!.Text, c.Document.FieldsJson, c.DocSeq));
            Assert.Equal([0f, 0f, 1f, 0f], c.Document.Vector!);
        });
        Assert.All(log.Where(c => c.DocId == dropped), c => Assert.Equal((ChangeKind.Delete, null, 0L), (c.Kind, c.Document, c.DocSeq)));
        Assert.Equal(5, last!.Token.SlotSeqs[slot]);
        Assert.Equal(5, (await store.HeadsAsync(collection))[slot]);

        // Paging: after a seq, at most a limit.
        Assert.Equal([3L, 4L], (await store.ReadAsync(collection.Id, slot, 2, 2, None)).Select(c => c.Seq));
        Assert.Empty(await store.ReadAsync(collection.Id, slot, 5, 10, None));
        Assert.Empty(await store.ReadAsync(collection.Id, (slot + 1) % SlotHasher.SlotCount, 0, 10, None));
    }

    [Fact]
    public async Task Heads_cover_only_the_asked_slot_range()
    {
        string cs = await postgres.NewDatabaseAsync();
        await using var store = Stores.Open(cs);
        var (collection, _) = await store.CreateAsync(Stores.Spec(), None);
        var writes = Enumerable.Range(0, 200).Select(i => Stores.Upsert($"d{i}", $"text {i}")).ToArray();
        var (result, _) = await store.WriteAsync(collection, writes);

        var all = await store.HeadsAsync(collection);
        var low = await store.GetSlotHeadsAsync(collection.Id, new SlotRange(0, 512), None);

        Assert.Equal(result!.Token.SlotSeqs.OrderBy(p => p.Key), all.OrderBy(p => p.Key));
        Assert.Equal(all.Where(p => p.Key < 512).OrderBy(p => p.Key), low.OrderBy(p => p.Key));
        Assert.Equal(200, all.Values.Sum());
    }

    /// <summary>The same seeded batches against the embedded store and this one give the same results, documents and logs.</summary>
    [Fact]
    public async Task The_same_writes_give_the_same_answers_and_log_as_the_embedded_store()
    {
        int seed = Seeds.Pick();
        await Seeds.WithSeedAsync(seed, async () =>
        {
            string cs = await postgres.NewDatabaseAsync();
            using var dir = new TempDirectory();
            await using var postgresStore = Stores.Open(cs);
            using var sqliteStore = new SqliteStore(new SqliteStoreOptions(dir.Combine("store.db")), new ChangeSignal());
            var (pgCollection, _) = await postgresStore.CreateAsync(Stores.Spec("same"), None);
            var (liteCollection, _) = await sqliteStore.CreateAsync(Stores.Spec("same"), None);

            var random = new Random(seed);
            var ids = Enumerable.Range(0, 30).Select(i => $"id-{i}").ToArray();
            for (int round = 0; round < 60; round++)
            {
                var batch = Enumerable.Range(0, random.Next(0, 9)).Select(_ =>
                {
                    string id = ids[random.Next(ids.Length)];
                    return random.Next(3) == 0 ? Stores.Delete(id) : Stores.Upsert(id, $"r{round} {random.Next()}", [random.NextSingle(), random.NextSingle(), 1, 0]);
                }).ToArray();

                var (pg, _) = await postgresStore.WriteAsync(pgCollection, batch);
                var (lite, _) = await sqliteStore.WriteAsync(liteCollection, batch);
                Assert.True(pg!.Written == lite!.Written, $"seed {seed} round {round}: written {pg.Written} vs embedded {lite.Written}");
                Assert.Equal(lite.Missing, pg.Missing);
                Assert.Equal(lite.Token.SlotSeqs.OrderBy(p => p.Key), pg.Token.SlotSeqs.OrderBy(p => p.Key));
            }

            Assert.Equal(await sqliteStore.CountAsync(liteCollection, None), await postgresStore.CountAsync(pgCollection, None));
            var heads = await postgresStore.HeadsAsync(pgCollection);
            Assert.Equal((await sqliteStore.HeadsAsync(liteCollection)).OrderBy(p => p.Key), heads.OrderBy(p => p.Key));
            foreach (int slot in heads.Keys)
            {
                Assert.Equal(Describe(await sqliteStore.ReadSlotAsync(liteCollection, slot)), Describe(await postgresStore.ReadSlotAsync(pgCollection, slot)));
            }

            foreach (string id in ids)
            {
                Assert.Equal(Describe(await sqliteStore.GetAsync(liteCollection, id, None)), Describe(await postgresStore.GetAsync(pgCollection, id, None)));
            }
        });
    }

    private static string[] Describe(IReadOnlyList<ChangeRecord> log) =>
        [.. log.Select(c => $"{c.Slot}/{c.Seq} {c.DocId} {c.Kind} docseq={c.DocSeq} {Describe(c.Document)}")];

    private static string Describe(Document? d) =>
        d is null ? "-" : $"{d.Id} '{d.Text}' [{string.Join(',', d.Vector ?? [])}] {d.FieldsJson}";
}
