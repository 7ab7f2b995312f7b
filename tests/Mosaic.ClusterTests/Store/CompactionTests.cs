using Mosaic.Core.Changes;
using Mosaic.Core.Collections;
using Mosaic.Core.Seams;
using Mosaic.Core.Slots;
using Mosaic.Store.Sqlite;
using Mosaic.Testing;
using Xunit;

namespace Mosaic.ClusterTests.Store;

/// <summary>Compaction to explicit per-slot floors, in both stores: it removes what is at or below them and nothing after.</summary>
[Collection(StoreCollection.Name)]
public sealed class CompactionTests(PostgresFixture postgres)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Compacting_to_floors_from_an_older_heads_snapshot_keeps_every_later_change()
    {
        string cs = await postgres.NewDatabaseAsync();
        using var dir = new TempDirectory();
        await using var postgresStore = Stores.Open(cs);
        using var sqliteStore = new SqliteStore(new SqliteStoreOptions(dir.Combine("store.db")), new ChangeSignal());
        await CheckAsync(postgresStore);
        await CheckAsync(sqliteStore);
    }

    private static async Task CheckAsync<TStore>(TStore store)
        where TStore : ICollectionCatalog, IDocumentStore, IChangeLog
    {
        IChangeLog log = store;
        var (collection, _) = await store.CreateAsync(Stores.Spec(), None);
        await WriteRoundsAsync(store, collection, 0, 3);
        // What the leader snapshots at one round and compacts to at the next, once every replica reported lag 0 after it.
        var snapshot = await log.HeadsAsync(collection);
        await WriteRoundsAsync(store, collection, 3, 5);
        var before = await LogsAsync(log, collection, snapshot.Keys);
        var floors = snapshot.ToDictionary(h => h.Key, h => h.Value - 2);

        long deleted = await log.CompactAsync(collection.Id, floors, None);

        var after = await LogsAsync(log, collection, snapshot.Keys);
        foreach (var (slot, head) in snapshot)
        {
            // Every change after the snapshot is still there, and the two kept before it; the rest is gone.
            Assert.Equal(before[slot].Where(s => s > head - 2), after[slot]);
            Assert.Contains(after[slot], s => s > head);
        }

        Assert.Equal((long)(before.Values.Sum(l => l.Count) - after.Values.Sum(l => l.Count)), deleted);
        var all = new SlotRange(0, SlotHasher.SlotCount);
        var expectedFloors = floors.Where(f => f.Value > 0).OrderBy(f => f.Key).ToList();
        Assert.Equal(expectedFloors, (await log.GetSlotFloorsAsync(collection.Id, all, None)).OrderBy(f => f.Key));

        // Floors never go down: compacting to lower ones deletes nothing and leaves them.
        Assert.Equal(0L, await log.CompactAsync(collection.Id, snapshot.ToDictionary(h => h.Key, h => h.Value - 3), None));
        Assert.Equal(expectedFloors, (await log.GetSlotFloorsAsync(collection.Id, all, None)).OrderBy(f => f.Key));
    }

    private static async Task WriteRoundsAsync(IDocumentStore store, CollectionInfo collection, int from, int to)
    {
        for (int round = from; round < to; round++)
        {
            await store.WriteAsync(collection, [.. Enumerable.Range(0, 100).Select(i => Stores.Upsert($"d{i}", $"round {round}"))]);
        }
    }

    private static async Task<Dictionary<int, List<long>>> LogsAsync(IChangeLog log, CollectionInfo collection, IEnumerable<int> slots)
    {
        var logs = new Dictionary<int, List<long>>();
        foreach (int slot in slots)
        {
            logs[slot] = [.. (await log.ReadSlotAsync(collection, slot)).Select(c => c.Seq)];
        }

        return logs;
    }
}
