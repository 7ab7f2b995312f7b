using Mosaic.Core.Placement;
using Xunit;

namespace Mosaic.ClusterTests.Store;

/// <summary>Placement rows and their version: every change bumps it in the same transaction; lag alone does not.</summary>
[Collection(StoreCollection.Name)]
public sealed class PlacementTests(PostgresFixture postgres)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Assign_report_and_unassign_bump_the_version_exactly_when_placement_changes()
    {
        string cs = await postgres.NewDatabaseAsync();
        await using var leader = Stores.Open(cs);
        await using var worker = Stores.Open(cs);
        var (collection, _) = await leader.CreateAsync(Stores.Spec(), None);
        long v0 = await worker.GetPlacementVersionAsync(None);
        Assert.Empty((await worker.GetPlacementAsync(None)).Assignments);

        await leader.AssignAsync(collection.Id, 0, "w1", None);
        await leader.AssignAsync(collection.Id, 1, "w1", None);
        Assert.Equal(v0 + 2, await worker.GetPlacementVersionAsync(None));
        await leader.AssignAsync(collection.Id, 0, "w1", None);
        Assert.Equal(v0 + 2, await worker.GetPlacementVersionAsync(None));
        var placed = await worker.GetPlacementAsync(None);
        Assert.Equal(v0 + 2, placed.Version);
        Assert.Equal([(0, ReplicaState.Building, 0L), (1, ReplicaState.Building, 0L)], placed.Assignments.Select(a => (a.Shard, a.State, a.Lag)));

        await worker.ReportAsync(collection.Id, 0, "w1", new ReplicaReport(ReplicaState.Building, 40, 0, 0, 0), None);
        Assert.Equal(v0 + 2, await worker.GetPlacementVersionAsync(None));
        await worker.ReportAsync(collection.Id, 0, "w1", new ReplicaReport(ReplicaState.Serving, 3, 0, 0, 0), None);
        Assert.Equal(v0 + 3, await worker.GetPlacementVersionAsync(None));
        await worker.ReportAsync(collection.Id, 0, "w1", new ReplicaReport(ReplicaState.Serving, 0, 0, 0, 0), None);
        Assert.Equal(v0 + 3, await worker.GetPlacementVersionAsync(None));
        // A replica that is not placed is not created by a report.
        await worker.ReportAsync(collection.Id, 3, "w9", new ReplicaReport(ReplicaState.Serving, 0, 0, 0, 0), None);
        Assert.Equal(v0 + 3, await worker.GetPlacementVersionAsync(None));

        var reported = await leader.GetPlacementAsync(None);
        Assert.Equal(v0 + 3, reported.Version);
        Assert.Equal(
            [new ReplicaAssignment(collection.Id, 0, "w1", ReplicaState.Serving, 0), new ReplicaAssignment(collection.Id, 1, "w1", ReplicaState.Building, 0)],
            reported.Assignments);

        await leader.UnassignAsync(collection.Id, 0, "w1", None);
        Assert.Equal(v0 + 4, await worker.GetPlacementVersionAsync(None));
        await leader.UnassignAsync(collection.Id, 0, "w1", None);
        Assert.Equal(v0 + 4, await worker.GetPlacementVersionAsync(None));
        Assert.Equal([1], (await worker.GetPlacementAsync(None)).Assignments.Select(a => a.Shard));
    }

    [Fact]
    public async Task Every_state_reads_back_and_dropping_the_collection_removes_its_replicas_with_a_bump()
    {
        string cs = await postgres.NewDatabaseAsync();
        await using var store = Stores.Open(cs);
        var (kept, _) = await store.CreateAsync(Stores.Spec("kept"), None);
        var (dropped, _) = await store.CreateAsync(Stores.Spec("dropped"), None);
        var states = Enum.GetValues<ReplicaState>();
        for (int shard = 0; shard < states.Length; shard++)
        {
            await store.AssignAsync(dropped.Id, shard, "w1", None);
            await store.ReportAsync(dropped.Id, shard, "w1", new ReplicaReport(states[shard], shard, 0, 0, 0), None);
        }

        await store.AssignAsync(kept.Id, 0, "w2", None);
        Assert.Equal(states, (await store.GetPlacementAsync(None)).Assignments.Where(a => a.CollectionId == dropped.Id).Select(a => a.State));
        long before = await store.GetPlacementVersionAsync(None);

        Assert.True(await store.DeleteAsync("dropped", None));

        var after = await store.GetPlacementAsync(None);
        Assert.True(after.Version > before, $"dropping a placed collection bumps the version past {before}");
        Assert.Equal([(kept.Id, 0, "w2")], after.Assignments.Select(a => (a.CollectionId, a.Shard, a.NodeId)));
    }
}
