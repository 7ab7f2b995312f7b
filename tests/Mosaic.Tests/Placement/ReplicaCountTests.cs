using Mosaic.Core.Placement;
using Mosaic.Core.Sharding;
using Xunit;

namespace Mosaic.Tests.Placement;

/// <summary>A collection's R changed while it serves (PATCH /collections/{name}): replicas are added on the lightest
/// workers or drained from the most loaded, never below one serving; R past the live workers says what it lacks; a
/// lower R lets a drain held on the replica floor go on.</summary>
public sealed class ReplicaCountTests
{
    [Fact]
    public void Raising_R_adds_replicas_on_distinct_workers_and_lowering_it_drains_the_most_loaded_first()
    {
        // No rebalancing: it would refill the worker emptied below, which is not what this looks at.
        var sim = new Simulation(ShardMap.Even(2), replicas: 1, "w1", "w2", "w3") { Options = PlacementPlannerTests.Options with { RebalanceAfter = TimeSpan.FromDays(1) } };
        string[] workers = ["w1", "w2", "w3"];
        sim.RunUntilQuiet();

        sim.Replicas = 2;
        sim.RunUntilQuiet();
        Assert.True(sim.MinServingPerShard >= 1, "raising R lowered availability");
        Assert.All(sim.Map.Serving, s => Assert.Equal(2, sim.Assignments.Where(a => a.Shard == s.Id).Select(a => a.NodeId).Distinct().Count()));
        // Four replicas on three workers: one holds two, and it is the one a lower R relieves.
        var heaviest = workers.OrderByDescending(sim.Held).First();
        Assert.Equal([1, 1, 2], workers.Select(sim.Held).Order());

        sim.Replicas = 1;
        sim.RunUntilQuiet();
        Assert.True(sim.MinServingPerShard >= 1, "lowering R left a shard without a serving replica");
        Assert.All(sim.Map.Serving, s => Assert.Single(sim.Assignments, a => a.Shard == s.Id));
        Assert.Equal(0, sim.Held(heaviest));

        sim.Replicas = 3;
        sim.RunUntilQuiet();
        Assert.All(workers, n => Assert.Equal(2, sim.Held(n)));
        Assert.Empty(sim.Planner.Blocked);
    }

    [Fact]
    public void Lowering_R_lets_a_drain_held_on_the_replica_floor_go_on()
    {
        var sim = new Simulation(ShardMap.Even(4), replicas: 2, "w1", "w2");
        sim.RunUntilQuiet();
        sim.SetDrained("w2", true);
        sim.RunUntilQuiet();
        Assert.Equal((4, 4), (sim.Held("w1"), sim.Held("w2")));
        Assert.All(sim.Planner.Blocked, b => Assert.Contains("lower the collection's replicas", b.Reason, StringComparison.Ordinal));

        sim.Replicas = 1;
        sim.RunUntilQuiet();
        Assert.Equal((4, 0), (sim.Held("w1"), sim.Held("w2")));
        Assert.True(sim.MinServingPerShard >= 1, "the drain lowered availability");
        Assert.Empty(sim.Planner.Blocked);
    }

    [Fact]
    public void R_past_the_live_workers_places_what_it_can_says_what_it_lacks_and_fills_up_when_a_worker_joins()
    {
        var sim = new Simulation(ShardMap.Even(4), replicas: 1, "w1", "w2");
        sim.RunUntilQuiet();

        sim.Replicas = 3;
        sim.RunUntilQuiet();
        Assert.Equal((4, 4), (sim.Held("w1"), sim.Held("w2")));
        Assert.Equal([0, 1, 2, 3], sim.Planner.Blocked.Select(b => b.Shard).Order());
        Assert.All(sim.Planner.Blocked, b => Assert.Contains("needs 3 replicas on distinct workers and has 2: w1 holds one; w2 holds one; there is no other live, undrained worker", b.Reason, StringComparison.Ordinal));

        sim.AddWorker("w3");
        sim.RunUntilQuiet();
        Assert.All(new[] { "w1", "w2", "w3" }, n => Assert.Equal(4, sim.Held(n)));
        Assert.Empty(sim.Planner.Blocked);
    }

    [Fact]
    public void An_embedded_server_holds_one_replica_whatever_R_and_reports_no_shortfall()
    {
        var embedded = new Simulation(ShardMap.Even(4), replicas: 2, NodeInfo.EmbeddedId);
        embedded.RunUntilQuiet();
        Assert.Equal(4, embedded.Held(NodeInfo.EmbeddedId));
        Assert.Empty(embedded.Planner.Blocked);

        // The same on a one-worker cluster is a shortfall: a worker may join there.
        var cluster = new Simulation(ShardMap.Even(4), replicas: 2, "w1");
        cluster.RunUntilQuiet();
        Assert.Equal(4, cluster.Planner.Blocked.Count);
    }

    [Fact]
    public void The_rebalancer_tries_the_next_lightest_worker_when_a_replica_fits_no_lighter_one()
    {
        var sim = new Simulation(ShardMap.Even(4), replicas: 1, "w1");
        sim.RunUntilQuiet();
        sim.AddWorker("w2");
        sim.SetRoom("w2", 500_000); // empty, so the lightest, but no replica of 1 MB fits
        sim.AddWorker("w3");
        sim.RunUntilQuiet();

        Assert.Equal((2, 0, 2), (sim.Held("w1"), sim.Held("w2"), sim.Held("w3")));
        Assert.True(sim.MinServingPerShard >= 1, "a move lowered availability");
        Assert.StartsWith("no replica on w1 fits the lightest worker: w2 has 488.3 KiB free above its floor", sim.Planner.RebalanceBlocked, StringComparison.Ordinal);
    }
}
