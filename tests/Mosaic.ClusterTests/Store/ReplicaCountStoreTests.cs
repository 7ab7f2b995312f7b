using Mosaic.Core.Changes;
using Mosaic.Core.Seams;
using Mosaic.Store.Sqlite;
using Mosaic.Testing;
using Xunit;

namespace Mosaic.ClusterTests.Store;

/// <summary>A collection's replica count changed in the store (PATCH /collections/{name}): both stores keep it, read it
/// back from another instance, and move the routing version that coordinators watch only when it changes.</summary>
[Collection(StoreCollection.Name)]
public sealed class ReplicaCountStoreTests(PostgresFixture postgres)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task A_postgres_store_keeps_a_new_replica_count_and_moves_the_routing_version()
    {
        string cs = await postgres.NewDatabaseAsync();
        await using var a = Stores.Open(cs);
        await using var b = Stores.Open(cs);
        await CheckAsync(a, a, b, b);
    }

    [Fact]
    public async Task A_sqlite_store_keeps_a_new_replica_count_and_moves_the_routing_version()
    {
        using var dir = new TempDirectory();
        using var store = new SqliteStore(new SqliteStoreOptions(dir.Combine("store.db")), new ChangeSignal());
        await CheckAsync(store, store, store, store);
    }

    /// <summary>Changes R through <paramref name="catalog"/>; reads it back and watches the version through the others.</summary>
    private static async Task CheckAsync(ICollectionCatalog catalog, IPlacementStore placement, ICollectionCatalog reader, IPlacementStore watcher)
    {
        var (created, _) = await catalog.CreateAsync(Stores.Spec("r"), None);
        long before = await watcher.GetPlacementVersionAsync(None);

        var changed = await catalog.SetReplicasAsync("r", 3, None);
        Assert.Equal((created.Id, 3, created.ShardMap.Version), (changed!.Id, changed.Spec.Replicas, changed.ShardMap.Version));
        var read = await reader.GetAsync("r", None);
        Assert.Equal(3, read!.Spec.Replicas);
        Assert.True(read.Spec.SameSettingsAs(Stores.Spec("r") with { Replicas = 3 }), "only R changed");
        long after = await watcher.GetPlacementVersionAsync(None);
        Assert.True(after > before, $"the routing version did not move ({before} → {after})");

        // The same R again is no change: coordinators have nothing to reload.
        Assert.Equal(3, (await catalog.SetReplicasAsync("r", 3, None))!.Spec.Replicas);
        Assert.Equal(after, await watcher.GetPlacementVersionAsync(None));
        Assert.Null(await catalog.SetReplicasAsync("absent", 2, None));
        Assert.Equal(3, (await reader.ListAsync(None)).Single().Spec.Replicas);
    }
}
