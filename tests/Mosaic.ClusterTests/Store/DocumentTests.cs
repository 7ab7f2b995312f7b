using Mosaic.Core.Errors;
using Mosaic.Core.Slots;
using Xunit;

namespace Mosaic.ClusterTests.Store;

/// <summary>Documents in the PostgreSQL store: write, get, delete, count, missing deletes, idempotency keys.</summary>
[Collection(StoreCollection.Name)]
public sealed class DocumentTests(PostgresFixture postgres)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Written_documents_read_back_whole_and_deletes_remove_them()
    {
        string cs = await postgres.NewDatabaseAsync();
        await using var store = Stores.Open(cs);
        var (collection, _) = await store.CreateAsync(Stores.Spec(), None);

        var (result, stored) = await store.WriteAsync(
            collection,
            Stores.Upsert("a", "alpha text", [0.5f, -1.25f, 3e-8f, float.MaxValue], """{"tag":"x"}"""),
            new("b", new("b", null, [1, 0, 0, 0], null)),
            new("c", new("c", "keyword only", null, null)));

        Assert.Null(stored);
        Assert.Equal(3, result!.Written);
        Assert.Empty(result.Missing);
        Assert.Equal(3, await store.CountAsync(collection, None));
        var a = await store.GetAsync(collection, "a", None);
        Assert.Equal(("a", "alpha text", """{"tag":"x"}"""), (a!.Id, a.Text, a.FieldsJson));
        Assert.Equal([0.5f, -1.25f, 3e-8f, float.MaxValue], a.Vector!);
        var b = await store.GetAsync(collection, "b", None);
        Assert.Null(b!.Text);
        Assert.Null((await store.GetAsync(collection, "c", None))!.Vector);
        Assert.Null(await store.GetAsync(collection, "nope", None));

        var (deleted, _) = await store.WriteAsync(collection, Stores.Delete("a"));
        Assert.Equal(1, deleted!.Written);
        Assert.Null(await store.GetAsync(collection, "a", None));
        Assert.Equal(2, await store.CountAsync(collection, None));

        // An upsert replaces the whole document.
        await store.WriteAsync(collection, Stores.Upsert("b", "now with text", [0, 1, 0, 0]));
        Assert.Equal("now with text", (await store.GetAsync(collection, "b", None))!.Text);
        Assert.Equal(2, await store.CountAsync(collection, None));
    }

    [Fact]
    public async Task Deletes_of_absent_ids_are_reported_missing_and_not_logged()
    {
        string cs = await postgres.NewDatabaseAsync();
        await using var store = Stores.Open(cs);
        var (collection, _) = await store.CreateAsync(Stores.Spec(), None);
        var ids = Stores.IdsInOneSlot(collection.Name, 3, out int slot);

        // In one batch and one slot: the absent delete costs no sequence number, so the slot's log has no hole.
        var (first, _) = await store.WriteAsync(collection, Stores.Delete(ids[0]), Stores.Upsert(ids[1], "one"), Stores.Delete(ids[2]), Stores.Upsert(ids[2], "two"));
        Assert.Equal(2, first!.Written);
        Assert.Equal([ids[0], ids[2]], first.Missing);
        Assert.Equal(2, first.Token.SlotSeqs[slot]);

        var (onlyMissing, _) = await store.WriteAsync(collection, Stores.Delete(ids[0]));
        Assert.Equal(0, onlyMissing!.Written);
        Assert.Equal([ids[0]], onlyMissing.Missing);
        Assert.Empty(onlyMissing.Token.SlotSeqs);

        var (next, _) = await store.WriteAsync(collection, Stores.Delete(ids[1]));
        Assert.Equal(3, next!.Token.SlotSeqs[slot]);
        var log = await store.ReadSlotAsync(collection, slot);
        Assert.Equal([1L, 2L, 3L], log.Select(c => c.Seq));
        Assert.Equal([ids[1], ids[2], ids[1]], log.Select(c => c.DocId));
        Assert.Equal(3, (await store.HeadsAsync(collection))[slot]);

        // A slot whose only writes were absent deletes has no head at all.
        string lonely = Enumerable.Range(0, 1000).Select(i => $"lonely-{i}").First(id => SlotHasher.SlotOf(collection.Name, id) != slot);
        var (none, _) = await store.WriteAsync(collection, Stores.Delete(lonely));
        Assert.Equal([lonely], none!.Missing);
        Assert.False((await store.HeadsAsync(collection)).ContainsKey(SlotHasher.SlotOf(collection.Name, lonely)));
    }

    [Fact]
    public async Task A_repeated_idempotency_key_returns_the_first_answer_and_writes_nothing()
    {
        string cs = await postgres.NewDatabaseAsync();
        await using var store = Stores.Open(cs);
        var (collection, _) = await store.CreateAsync(Stores.Spec(), None);
        var write = new[] { Stores.Upsert("k", "once") };

        var (first, firstStored) = await store.WriteAsync(collection, write, "key-1", r => $"answer {r.Token.Encode()}", None);
        var (second, secondStored) = await store.WriteAsync(collection, [Stores.Upsert("k", "twice")], "key-1", r => "other answer", None);
        var (third, _) = await store.WriteAsync(collection, write, "key-2", r => "third", None);

        Assert.Null(firstStored);
        Assert.Null(second);
        Assert.Equal($"answer {first!.Token.Encode()}", secondStored);
        Assert.Equal("once", (await store.GetAsync(collection, "k", None))!.Text);
        Assert.Equal(1, third!.Written);
        Assert.Equal(2, (await store.ReadSlotAsync(collection, SlotHasher.SlotOf(collection.Name, "k"))).Count);
    }

    [Fact]
    public async Task Concurrent_requests_with_one_idempotency_key_on_many_stores_write_once()
    {
        string cs = await postgres.NewDatabaseAsync();
        var stores = Enumerable.Range(0, 4).Select(_ => Stores.Open(cs)).ToArray();
        try
        {
            var (collection, _) = await stores[0].CreateAsync(Stores.Spec(), None);
            var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() =>
                stores[i % stores.Length].WriteAsync(collection, [Stores.Upsert("same", $"attempt {i}")], "retry-key", r => $"written {r.Written}", None))));

            Assert.Single(attempts, a => a.Result is not null);
            Assert.All(attempts.Where(a => a.Result is null), a => Assert.Equal("written 1", a.StoredAnswer));
            Assert.Single(await stores[1].ReadSlotAsync(collection, SlotHasher.SlotOf(collection.Name, "same")));
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Text_with_a_nul_character_is_bad_input_not_a_store_failure()
    {
        string cs = await postgres.NewDatabaseAsync();
        await using var store = Stores.Open(cs);
        var (collection, _) = await store.CreateAsync(Stores.Spec(), None);

        var ex = await Assert.ThrowsAsync<MosaicException>(() => store.WriteAsync(collection, Stores.Upsert("ok", "bad\0text")));

        Assert.Equal(ErrorKind.InvalidArgument, ex.Kind);
        Assert.Equal(0, await store.CountAsync(collection, None));
        Assert.Empty(await store.HeadsAsync(collection));
        Assert.Null(await store.GetAsync(collection, "id\0with-nul", None));
    }
}
