using Mosaic.Core.Errors;
using Xunit;

namespace Mosaic.ClusterTests.Store;

/// <summary>Collections in the PostgreSQL store: create, identical create, conflict, list, delete — across store instances.</summary>
[Collection(StoreCollection.Name)]
public sealed class CatalogTests(PostgresFixture postgres)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Identical_create_returns_the_existing_collection_and_other_settings_conflict()
    {
        string cs = await postgres.NewDatabaseAsync();
        await using var a = Stores.Open(cs);
        await using var b = Stores.Open(cs);

        var (info, created) = await a.CreateAsync(Stores.Spec("docs"), None);
        var (again, createdAgain) = await b.CreateAsync(Stores.Spec("docs"), None);

        Assert.True(created);
        Assert.False(createdAgain);
        Assert.Equal(info.Id, again.Id);
        Assert.True(again.Spec.SameSettingsAs(Stores.Spec("docs")), "the stored spec reads back with the same settings");
        var conflict = await Assert.ThrowsAsync<MosaicException>(() => b.CreateAsync(Stores.Spec("docs", dimension: 8), None));
        Assert.Equal(ErrorKind.Conflict, conflict.Kind);
    }

    [Fact]
    public async Task Stores_starting_together_on_an_empty_database_all_get_the_schema()
    {
        string cs = await postgres.NewDatabaseAsync();
        var stores = Enumerable.Range(0, 6).Select(_ => Stores.Open(cs)).ToArray();
        try
        {
            // Each store creates the schema on its first call; without the advisory lock, concurrent CREATE TABLE IF NOT
            // EXISTS of the same table can fail on the catalog's unique index.
            var lists = await Task.WhenAll(stores.Select(s => Task.Run(() => s.ListAsync(None))));
            Assert.All(lists, Assert.Empty);
            await Task.WhenAll(stores.Select((s, i) => Task.Run(() => s.CreateAsync(Stores.Spec($"c{i}"), None))));
            Assert.Equal(6, (await stores[0].ListAsync(None)).Count);
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
    public async Task Concurrent_creates_of_one_name_from_many_stores_create_it_once()
    {
        string cs = await postgres.NewDatabaseAsync();
        var stores = Enumerable.Range(0, 4).Select(_ => Stores.Open(cs)).ToArray();
        try
        {
            var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Task.Run(() => stores[i % stores.Length].CreateAsync(Stores.Spec("race"), None))));

            Assert.Single(results, r => r.Created);
            Assert.Single(results.Select(r => r.Info.Id).Distinct());
            Assert.Single(await stores[0].ListAsync(None));
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
    public async Task List_is_in_name_order_and_delete_removes_the_collection_with_its_documents_and_log()
    {
        string cs = await postgres.NewDatabaseAsync();
        await using var store = Stores.Open(cs);
        await store.CreateAsync(Stores.Spec("b-second"), None);
        var (first, _) = await store.CreateAsync(Stores.Spec("a-first"), None);
        await store.CreateAsync(Stores.Spec("c-third"), None);
        await store.WriteAsync(first, Stores.Upsert("x", "hello"));

        Assert.Equal(["a-first", "b-second", "c-third"], (await store.ListAsync(None)).Select(c => c.Name));

        Assert.True(await store.DeleteAsync("a-first", None));
        Assert.False(await store.DeleteAsync("a-first", None));
        Assert.Null(await store.GetAsync("a-first", None));
        Assert.Equal(["b-second", "c-third"], (await store.ListAsync(None)).Select(c => c.Name));
        Assert.Empty(await store.HeadsAsync(first));
        Assert.Equal(0, await store.CountAsync(first, None));

        // A new collection of the same name is a new identity: nothing of the old one shows through.
        var (reborn, created) = await store.CreateAsync(Stores.Spec("a-first"), None);
        Assert.True(created);
        Assert.NotEqual(first.Id, reborn.Id);
        Assert.Null(await store.GetAsync(reborn, "x", None));
    }

    [Fact]
    public async Task A_write_that_still_holds_a_dropped_collection_is_refused_and_leaves_nothing()
    {
        string cs = await postgres.NewDatabaseAsync();
        await using var coordinatorA = Stores.Open(cs);
        await using var coordinatorB = Stores.Open(cs);
        var (collection, _) = await coordinatorA.CreateAsync(Stores.Spec("gone"), None);
        Assert.True(await coordinatorB.DeleteAsync("gone", None));

        var ex = await Assert.ThrowsAsync<MosaicException>(() => coordinatorA.WriteAsync(collection, Stores.Upsert("x", "late")));

        Assert.Equal(ErrorKind.NotFound, ex.Kind);
        Assert.Empty(await coordinatorA.HeadsAsync(collection));
        Assert.Null(await coordinatorA.GetAsync(collection, "x", None));
    }
}
