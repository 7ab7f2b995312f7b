using Microsoft.Extensions.Logging.Abstractions;
using Mosaic.Core.Changes;
using Mosaic.Core.Collections;
using Mosaic.Core.Documents;
using Mosaic.Core.Placement;
using Mosaic.Core.Seams;
using Mosaic.Core.Slots;
using Mosaic.Store.Postgres;
using Mosaic.Testing;
using Xunit;

namespace Mosaic.ClusterTests.Store;

/// <summary>The cluster store against a real PostgreSQL: the log's ordering guarantees, notifications, leases, placement.</summary>
public sealed class PostgresStoreTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private static readonly CollectionSpec Spec = new("docs", 4, VectorMetric.Cosine, 4, 2, new Dictionary<string, FieldType>(), HnswSettings.Default);

    private static PostgresStore Open(string connectionString, ChangeSignal? signal = null) =>
        new(new PostgresStoreOptions(connectionString), signal ?? new ChangeSignal(), NullLogger<PostgresStore>.Instance);

    [Fact]
    public async Task Per_slot_sequences_stay_gapless_under_concurrent_writers_on_many_stores()
    {
        string cs = await postgres.NewDatabaseAsync();
        var stores = Enumerable.Range(0, 4).Select(_ => Open(cs)).ToArray();
        try
        {
            var (collection, _) = await stores[0].CreateAsync(Spec, CancellationToken.None);
            // 40 ids share few slots, so writers collide on the same counters all the time.
            var ids = Enumerable.Range(0, 40).Select(i => $"doc-{i}").ToArray();
            long acknowledged = 0;
            var writers = Enumerable.Range(0, 12).Select(w => Task.Run(async () =>
            {
                var random = new Random(w);
                for (int round = 0; round < 25; round++)
                {
                    var batch = Enumerable.Range(0, random.Next(1, 8))
                        .Select(_ => ids[random.Next(ids.Length)])
                        .Select(id => new DocumentWrite(id, random.Next(5) == 0 ? null : new Document(id, $"w{w} r{round}", [1, 2, 3, 4], null)))
                        .ToList();
                    var (result, _) = await stores[w % stores.Length].WriteAsync(collection, batch, null, null, CancellationToken.None);
                    Interlocked.Add(ref acknowledged, result!.Written);
                }
            })).ToArray();
            await Task.WhenAll(writers);

            var heads = await stores[1].GetSlotHeadsAsync(collection.Id, new SlotRange(0, SlotHasher.SlotCount), CancellationToken.None);
            long logged = 0;
            foreach (var (slot, head) in heads)
            {
                var changes = await stores[2].ReadAsync(collection.Id, slot, 0, 100_000, CancellationToken.None);
                Assert.Equal(Enumerable.Range(1, (int)head).Select(i => (long)i), changes.Select(c => c.Seq));
                logged += changes.Count;
            }

            Assert.Equal(acknowledged, logged);
            Assert.True(logged > 100, $"the test should have logged many changes, got {logged}");
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
    public async Task A_write_through_one_store_wakes_waiters_of_another()
    {
        string cs = await postgres.NewDatabaseAsync();
        var signalB = new ChangeSignal();
        await using var a = Open(cs);
        await using var b = Open(cs, signalB);
        var (collection, _) = await a.CreateAsync(Spec, CancellationToken.None);
        await b.ListAsync(CancellationToken.None);
        await Wait.WaitUntilAsync(() => Task.FromResult(signalB.Generation > 0), TimeSpan.FromSeconds(10), "store B's LISTEN connection is up");

        long before = signalB.Generation;
        var woken = signalB.WaitAsync(before, TimeSpan.FromMinutes(5), TimeProvider.System, CancellationToken.None);
        await a.WriteAsync(collection, [new DocumentWrite("x", new Document("x", "hello", [1, 0, 0, 0], null))], null, null, CancellationToken.None);
        var finished = await Task.WhenAny(woken, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.Same(woken, finished);
        Assert.True(await woken > before);
    }

    [Fact]
    public async Task Idempotent_write_returns_the_first_answer_and_writes_once()
    {
        string cs = await postgres.NewDatabaseAsync();
        await using var store = Open(cs);
        var (collection, _) = await store.CreateAsync(Spec, CancellationToken.None);
        var write = new[] { new DocumentWrite("k", new Document("k", "once", [1, 0, 0, 0], null)) };
        var (first, stored1) = await store.WriteAsync(collection, write, "key-1", r => r.Token.Encode(), CancellationToken.None);
        var (second, stored2) = await store.WriteAsync(collection, write, "key-1", r => r.Token.Encode(), CancellationToken.None);
        Assert.Null(stored1);
        Assert.Null(second);
        Assert.Equal(first!.Token.Encode(), stored2);
        var log = await store.ReadAsync(collection.Id, SlotHasher.SlotOf("docs", "k"), 0, 100, CancellationToken.None);
        Assert.Single(log);
    }

    [Fact]
    public async Task Catalog_create_is_idempotent_and_conflicts_on_other_settings()
    {
        string cs = await postgres.NewDatabaseAsync();
        await using var store = Open(cs);
        var (info, created) = await store.CreateAsync(Spec, CancellationToken.None);
        var (again, createdAgain) = await store.CreateAsync(Spec, CancellationToken.None);
        Assert.True(created);
        Assert.False(createdAgain);
        Assert.Equal(info.Id, again.Id);
        var ex = await Assert.ThrowsAsync<Mosaic.Core.Errors.MosaicException>(() => store.CreateAsync(Spec with { Dimension = 8 }, CancellationToken.None));
        Assert.Equal(Mosaic.Core.Errors.ErrorKind.Conflict, ex.Kind);
        Assert.True(await store.DeleteAsync("docs", CancellationToken.None));
        Assert.Null(await store.GetAsync("docs", CancellationToken.None));
    }

    [Fact]
    public async Task Leases_expire_and_pass_to_the_next_holder()
    {
        string cs = await postgres.NewDatabaseAsync();
        await using var store = Open(cs);
        Assert.True(await store.TryHoldLeaseAsync("placement", "a", TimeSpan.FromSeconds(1), CancellationToken.None));
        Assert.False(await store.TryHoldLeaseAsync("placement", "b", TimeSpan.FromSeconds(1), CancellationToken.None));
        Assert.True(await store.TryHoldLeaseAsync("placement", "a", TimeSpan.FromSeconds(1), CancellationToken.None));
        await Wait.WaitUntilAsync(() => store.TryHoldLeaseAsync("placement", "b", TimeSpan.FromSeconds(30), CancellationToken.None), TimeSpan.FromSeconds(15), "b takes the expired lease");
        Assert.False(await store.TryHoldLeaseAsync("placement", "a", TimeSpan.FromSeconds(1), CancellationToken.None));

        await store.RenewAsync("w1", "worker", "http://127.0.0.1:1", TimeSpan.FromSeconds(1), CancellationToken.None);
        Assert.True((await store.ListNodesAsync(CancellationToken.None)).Single(n => n.NodeId == "w1").Live);
        await Wait.WaitUntilAsync(async () => !(await store.ListNodesAsync(CancellationToken.None)).Single(n => n.NodeId == "w1").Live, TimeSpan.FromSeconds(15), "w1's lease expires");
    }

    [Fact]
    public async Task Placement_changes_bump_the_version_and_lag_alone_does_not()
    {
        string cs = await postgres.NewDatabaseAsync();
        await using var store = Open(cs);
        var (collection, _) = await store.CreateAsync(Spec, CancellationToken.None);
        long v0 = await store.GetPlacementVersionAsync(CancellationToken.None);
        await store.AssignAsync(collection.Id, 0, "w1", CancellationToken.None);
        long v1 = await store.GetPlacementVersionAsync(CancellationToken.None);
        await store.ReportAsync(collection.Id, 0, "w1", ReplicaState.Serving, 3, CancellationToken.None);
        long v2 = await store.GetPlacementVersionAsync(CancellationToken.None);
        await store.ReportAsync(collection.Id, 0, "w1", ReplicaState.Serving, 0, CancellationToken.None);
        long v3 = await store.GetPlacementVersionAsync(CancellationToken.None);
        Assert.True(v1 > v0 && v2 > v1, $"assign and state change bump the version: {v0} {v1} {v2}");
        Assert.Equal(v2, v3);
        var snapshot = await store.GetPlacementAsync(CancellationToken.None);
        var row = Assert.Single(snapshot.Assignments);
        Assert.Equal((ReplicaState.Serving, 0L), (row.State, row.Lag));
        await store.UnassignAsync(collection.Id, 0, "w1", CancellationToken.None);
        Assert.Empty((await store.GetPlacementAsync(CancellationToken.None)).Assignments);
    }
}
