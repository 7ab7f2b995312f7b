using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Mosaic.Coordinator;
using Mosaic.Coordinator.Remote;
using Mosaic.Core.Changes;
using Mosaic.Core.Collections;
using Mosaic.Core.Seams;
using Mosaic.Store.Sqlite;
using Mosaic.Testing;
using Xunit;

namespace Mosaic.Tests.Coordinator;

/// <summary>
/// The router's snapshot after a drop, over a real SQLite store, with the drop committed at the one moment that broke it:
/// between a refresh's catalog read and its placement read (a full test run under load hit it once: a search right after
/// DELETE answered 503 instead of 404).
/// </summary>
public sealed class ClusterRouterDropTests : IDisposable
{
    private readonly TempDirectory _dir = new("mosaic-router");
    private readonly ChangeSignal _signal = new();
    private readonly SqliteStore _store;

    public ClusterRouterDropTests() => _store = new SqliteStore(new SqliteStoreOptions(_dir.Combine("store.db")), _signal);

    [Fact]
    public async Task A_drop_between_the_catalog_read_and_the_placement_read_is_seen_by_the_next_refresh()
    {
        var catalog = new DropDuringList(_store);
        using var router = new ClusterRouter(catalog, _store, _store, _signal, Options.Create(new CoordinatorOptions()), TimeProvider.System, NullLogger<ClusterRouter>.Instance);
        await _store.CreateAsync(Spec("dropped"), CancellationToken.None);
        await router.RefreshAsync(CancellationToken.None);
        var stale = await router.FindCollectionAsync("dropped", CancellationToken.None);
        Assert.NotNull(stale);

        // Another collection moves the routing version, so the next refresh reloads; the drop lands inside that reload.
        await _store.CreateAsync(Spec("other"), CancellationToken.None);
        catalog.DropAfterNextList = "dropped";
        await router.RefreshAsync(CancellationToken.None);
        Assert.Null(catalog.DropAfterNextList);

        // What the DELETE handler does after the drop: refresh. The collection must be gone from routing now.
        await router.RefreshAsync(CancellationToken.None);
        Assert.Null(await router.FindCollectionAsync("dropped", CancellationToken.None));
        Assert.NotNull(await router.FindCollectionAsync("other", CancellationToken.None));
        Assert.True(await router.IsDroppedAsync(stale!, CancellationToken.None));
    }

    [Fact]
    public async Task IsDropped_says_no_for_a_live_collection_and_yes_for_one_created_again_under_the_same_name()
    {
        using var router = new ClusterRouter(_store, _store, _store, _signal, Options.Create(new CoordinatorOptions()), TimeProvider.System, NullLogger<ClusterRouter>.Instance);
        var (first, _) = await _store.CreateAsync(Spec("reused"), CancellationToken.None);
        Assert.False(await router.IsDroppedAsync(first, CancellationToken.None));

        Assert.True(await _store.DeleteAsync("reused", CancellationToken.None));
        var (second, _) = await _store.CreateAsync(Spec("reused"), CancellationToken.None);
        Assert.NotEqual(first.Id, second.Id);
        Assert.True(await router.IsDroppedAsync(first, CancellationToken.None));
        Assert.False(await router.IsDroppedAsync(second, CancellationToken.None));
    }

    public void Dispose()
    {
        _store.Dispose();
        _dir.Dispose();
    }

    private static CollectionSpec Spec(string name) => new(name, 2, VectorMetric.Cosine, 2, 1, new Dictionary<string, FieldType>(), HnswSettings.Default);

    /// <summary>The real store's catalog; once armed, its next list drops a collection right after reading it, as a
    /// concurrent DELETE committing between the router's two reads would.</summary>
    private sealed class DropDuringList(ICollectionCatalog store) : ICollectionCatalog
    {
        public string? DropAfterNextList { get; set; }

        public Task<(CollectionInfo Info, bool Created)> CreateAsync(CollectionSpec spec, CancellationToken ct) => store.CreateAsync(spec, ct);

        public Task<CollectionInfo?> GetAsync(string name, CancellationToken ct) => store.GetAsync(name, ct);

        public async Task<IReadOnlyList<CollectionInfo>> ListAsync(CancellationToken ct)
        {
            var list = await store.ListAsync(ct);
            if (DropAfterNextList is { } name)
            {
                DropAfterNextList = null;
                Assert.True(await store.DeleteAsync(name, ct));
            }

            return list;
        }

        public Task<CollectionInfo?> SetReplicasAsync(string name, int replicas, CancellationToken ct) => store.SetReplicasAsync(name, replicas, ct);

        public Task<bool> DeleteAsync(string name, CancellationToken ct) => store.DeleteAsync(name, ct);
    }
}
