using Mosaic.Coordinator.Placement;
using Mosaic.Core.Placement;
using Mosaic.Core.Sharding;
using Xunit;

namespace Mosaic.Tests.Placement;

/// <summary>Mosaic:Placement:MaxBuildsPerNode: however a replica comes to be added (a raised R, a dead worker's
/// replacement, a drain, a move), no worker builds more than that many at once; the rest wait, which is not "blocked";
/// and a shard with no serving replica goes first, past growth and past a rebalancing move.</summary>
public sealed class BuildThrottleTests
{
    private static readonly PlacementOptions OneAtATime = PlacementPlannerTests.Options with { MaxBuildsPerNode = 1 };

    [Fact]
    public void Raising_R_builds_at_most_the_bound_per_worker_and_the_rest_wait_without_being_blocked()
    {
        var sim = new Simulation(ShardMap.Even(8), replicas: 1, "w1", "w2") { Options = OneAtATime };
        sim.RunUntilQuiet();
        Assert.Equal((4, 4), (sim.Held("w1"), sim.Held("w2")));

        var waiting = new List<int>();
        sim.EachRound = _ =>
        {
            Assert.Empty(sim.Planner.Blocked);
            waiting.Add(sim.Planner.Waiting);
        };
        sim.Replicas = 2;
        sim.RunUntilQuiet();

        Assert.Equal(1, sim.MaxBuildingPerNode);
        // Eight new replicas, one slot on each worker: two start, six wait; the last round waits for none.
        Assert.Equal(6, waiting[0]);
        Assert.Equal(0, waiting[^1]);
        Assert.True(sim.MinServingPerShard >= 1, "raising R lowered availability");
        Assert.All(sim.Map.Serving, s => Assert.Equal(2, sim.Assignments.Count(a => a.Shard == s.Id && a.State == ReplicaState.Serving)));
    }

    [Fact]
    public void A_dead_workers_replicas_are_rebuilt_on_the_survivors_at_most_the_bound_at_a_time()
    {
        var sim = new Simulation(ShardMap.Even(12), replicas: 2, "w1", "w2", "w3", "w4") { Options = OneAtATime };
        sim.RunUntilQuiet();
        Assert.All(new[] { "w1", "w2", "w3", "w4" }, n => Assert.Equal(6, sim.Held(n)));

        sim.EachRound = _ => Assert.Empty(sim.Planner.Blocked);
        sim.Kill("w4");
        sim.RunUntilQuiet();

        Assert.Equal(1, sim.MaxBuildingPerNode);
        Assert.Equal(0, sim.Held("w4"));
        Assert.Equal(24, sim.Held("w1") + sim.Held("w2") + sim.Held("w3"));
        Assert.All(sim.Map.Serving, s => Assert.Equal(2, sim.Assignments.Count(a => a.Shard == s.Id && a.State == ReplicaState.Serving)));
        Assert.True(sim.MinServingPerShard >= 1, "the repair lowered availability");
    }

    [Fact]
    public void A_drain_builds_its_replacements_at_most_the_bound_at_a_time_and_reads_moving_not_blocked()
    {
        var sim = new Simulation(ShardMap.Even(12), replicas: 1, "w1", "w2", "w3") { Options = OneAtATime };
        sim.RunUntilQuiet();
        Assert.All(new[] { "w1", "w2", "w3" }, n => Assert.Equal(4, sim.Held(n)));

        var states = new List<string>();
        sim.EachRound = _ => states.Add(DrainProgress.Of("w3", sim.Assignments, sim.Planner.Blocked).State);
        sim.SetDrained("w3", true);
        sim.RunUntilQuiet();

        Assert.Equal(1, sim.MaxBuildingPerNode);
        Assert.Equal((6, 6, 0), (sim.Held("w1"), sim.Held("w2"), sim.Held("w3")));
        Assert.True(sim.MinServingPerShard >= 1, "the drain lowered availability");
        Assert.DoesNotContain("blocked", states);
        Assert.Equal("done", states[^1]);
    }

    [Fact]
    public void A_shard_with_no_serving_replica_takes_the_build_slots_before_a_raised_R()
    {
        var sim = new Simulation(ShardMap.Even(6), replicas: 1, "w1", "w2", "w3") { Options = OneAtATime };
        sim.RunUntilQuiet();
        var lost = sim.Assignments.Where(a => a.NodeId == "w3").Select(a => a.Shard).Order().ToList();
        Assert.Equal(2, lost.Count);

        // In one round R goes to 2 and w3 dies: its two shards serve nowhere, the other four serve once. Two slots (w1, w2)
        // go to the two that serve nowhere.
        sim.Replicas = 2;
        sim.Kill("w3");
        var first = sim.Round().OfType<PlacementAction.Assign>().ToList();
        Assert.Equal(lost, first.Select(a => a.Shard).Order());
        Assert.Equal(["w1", "w2"], first.Select(a => a.Node).Order());

        sim.RunUntilQuiet();
        Assert.Equal(1, sim.MaxBuildingPerNode);
        Assert.Equal((6, 6), (sim.Held("w1"), sim.Held("w2")));
    }

    [Fact]
    public void A_build_slot_two_shards_want_goes_to_the_one_a_dead_worker_left_below_its_R_before_growth()
    {
        // R = 2: shards 0 and 1 on w1 and w2, shard 2 on w1 and w4, shard 3 on w2 and w4. Then, in one round, R goes to 3
        // and w4 dies: every shard wants w3, whose one slot must go to shard 2 or 3 (one serving copy left), not to 0 or 1
        // (two serving); w1's and w2's slots go to the only shards that can use them, 3 and 2.
        var sim = new Simulation(ShardMap.Even(4), replicas: 2, "w1", "w2", "w3", "w4") { Options = OneAtATime };
        foreach (var (shard, node) in new[] { (0, "w1"), (0, "w2"), (1, "w1"), (1, "w2"), (2, "w1"), (2, "w4"), (3, "w2"), (3, "w4") })
        {
            sim.Assignments.Add(new ReplicaAssignment(1, shard, node, ReplicaState.Serving, 0, sim.BytesPerReplica, Docs: sim.DocsPerReplica));
        }

        sim.Replicas = 3;
        sim.Kill("w4");
        var first = sim.Round().OfType<PlacementAction.Assign>().ToList();
        Assert.Equal(3, first.Count);
        Assert.All(first, a => Assert.Contains(a.Shard, new[] { 2, 3 }));

        sim.RunUntilQuiet();
        Assert.Equal(1, sim.MaxBuildingPerNode);
        Assert.All(sim.Map.Serving, s => Assert.Equal(3, sim.Assignments.Count(a => a.Shard == s.Id && a.State == ReplicaState.Serving)));
    }

    [Fact]
    public void A_shard_with_no_serving_replica_never_waits_behind_a_rebalancing_move()
    {
        var sim = new Simulation(ShardMap.Even(8), replicas: 1, "w1", "w2") { Options = OneAtATime };
        sim.RunUntilQuiet();
        sim.AddWorker("w3");
        sim.RunUntil(() => sim.Assignments.Any(a => a.NodeId == "w3" && a.State == ReplicaState.Building));
        var move = sim.Assignments.Single(a => a.NodeId == "w3");
        string source = sim.Assignments.Single(a => a.Shard == move.Shard && a.NodeId != "w3").NodeId;
        string other = source == "w1" ? "w2" : "w1";
        var lost = sim.Assignments.Where(a => a.NodeId == other).Select(a => a.Shard).ToHashSet();

        // The worker that is not the move's source dies while the move builds on w3: w3's one slot goes to a shard that
        // serves nowhere, and the move (its source still serving) gives way.
        sim.Kill(other);
        var round = sim.Round();
        Assert.Contains(new PlacementAction.Unassign(move.CollectionId, move.Shard, "w3"), round);
        var placed = round.OfType<PlacementAction.Assign>().ToList();
        Assert.All(placed, a => Assert.Contains(a.Shard, lost));
        Assert.Equal([source, "w3"], placed.Select(a => a.Node).Order());

        sim.RunUntilQuiet();
        Assert.Equal(1, sim.MaxBuildingPerNode);
        Assert.Equal(8, sim.Held(source) + sim.Held("w3"));
        Assert.All(sim.Map.Serving, s => Assert.Single(sim.Assignments, a => a.Shard == s.Id && a.State == ReplicaState.Serving));
    }

    [Fact]
    public void A_bound_below_one_is_refused_at_start_up()
    {
        var errors = (PlacementPlannerTests.Options with { MaxBuildsPerNode = 0 }).Validate().ToList();
        Assert.Contains(errors, e => e.Contains("Mosaic:Placement:MaxBuildsPerNode must be at least 1", StringComparison.Ordinal));
        Assert.Empty(PlacementPlannerTests.Options.Validate());
    }
}
