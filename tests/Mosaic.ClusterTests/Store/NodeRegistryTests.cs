using Mosaic.Core.Placement;
using Mosaic.Testing;
using Xunit;

namespace Mosaic.ClusterTests.Store;

/// <summary>Node leases and named leases, by the store's clock. Leases here are 1-2 s; expiry is waited for as a condition.</summary>
[Collection(StoreCollection.Name)]
public sealed class NodeRegistryTests(PostgresFixture postgres)
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Nodes_are_live_while_they_renew_and_expire_when_they_stop()
    {
        string cs = await postgres.NewDatabaseAsync();
        await using var store = Stores.Open(cs);
        await using var other = Stores.Open(cs);

        await store.RenewAsync("w-short", NodeRole.Worker, "http://127.0.0.1:7001", Short, None);
        await store.RenewAsync("w-long", NodeRole.Worker, "http://127.0.0.1:7002", Long, None);
        await store.RenewAsync("c-1", NodeRole.Coordinator, "http://127.0.0.1:7003", Long, None);

        var nodes = await other.ListNodesAsync(None);
        Assert.Equal(["c-1", "w-long", "w-short"], nodes.Select(n => n.NodeId));
        Assert.All(nodes, n => Assert.True(n.Live, $"{n.NodeId} is live right after renewing"));
        var longNode = nodes.Single(n => n.NodeId == "w-long");
        Assert.Equal((NodeRole.Worker, "http://127.0.0.1:7002"), (longNode.Role, longNode.Address));
        Assert.True(longNode.LeaseExpiresAt > nodes.Single(n => n.NodeId == "w-short").LeaseExpiresAt);

        await Wait.WaitUntilAsync(async () => !(await other.ListNodesAsync(None)).Single(n => n.NodeId == "w-short").Live, Patience, "w-short's 1 s lease runs out");
        Assert.True((await other.ListNodesAsync(None)).Single(n => n.NodeId == "w-long").Live);

        // Renewing brings it back, with a new address; leaving removes it at once.
        await store.RenewAsync("w-short", NodeRole.Worker, "http://127.0.0.1:7009", Long, None);
        var back = (await other.ListNodesAsync(None)).Single(n => n.NodeId == "w-short");
        Assert.True(back.Live);
        Assert.Equal("http://127.0.0.1:7009", back.Address);
        await store.LeaveAsync("w-long", None);
        Assert.Equal(["c-1", "w-short"], (await other.ListNodesAsync(None)).Select(n => n.NodeId));
    }

    [Fact]
    public async Task A_named_lease_has_one_holder_until_it_expires_then_passes_on()
    {
        string cs = await postgres.NewDatabaseAsync();
        await using var coordinatorA = Stores.Open(cs);
        await using var coordinatorB = Stores.Open(cs);
        var lease = TimeSpan.FromSeconds(2);

        Assert.True(await coordinatorA.TryHoldLeaseAsync("placement", "a", lease, None));
        Assert.False(await coordinatorB.TryHoldLeaseAsync("placement", "b", lease, None));
        Assert.True(await coordinatorA.TryHoldLeaseAsync("placement", "a", lease, None));
        Assert.True(await coordinatorB.TryHoldLeaseAsync("other-lease", "b", lease, None));

        // A stops renewing: B gets it once it has run out, and then A is the one refused.
        await Wait.WaitUntilAsync(() => coordinatorB.TryHoldLeaseAsync("placement", "b", Long, None), Patience, "b takes the lease a stopped renewing");
        Assert.False(await coordinatorA.TryHoldLeaseAsync("placement", "a", lease, None));
        Assert.True(await coordinatorB.TryHoldLeaseAsync("placement", "b", Long, None));
    }

    [Fact]
    public async Task Many_contenders_racing_for_a_free_lease_produce_exactly_one_holder()
    {
        string cs = await postgres.NewDatabaseAsync();
        var stores = Enumerable.Range(0, 4).Select(_ => Stores.Open(cs)).ToArray();
        try
        {
            await stores[0].ListAsync(None);
            for (int round = 0; round < 5; round++)
            {
                string name = $"race-{round}";
                var outcomes = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(() => stores[i % stores.Length].TryHoldLeaseAsync(name, $"holder-{i}", Long, None))));
                Assert.Single(outcomes, held => held);
            }
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
    }
}
