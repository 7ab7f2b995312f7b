using Mosaic.Core.Sharding;
using Xunit;

namespace Mosaic.Tests.Placement;

/// <summary>Drains and moves that have nowhere to go: they wait, keep every replica serving, say why, and go on by
/// themselves once a place appears; a replica goes only where its size fits above the node's disk floor.</summary>
public sealed class PlacementRoomTests
{
    [Fact]
    public void Draining_the_only_worker_keeps_its_replicas_says_why_and_resumes_when_a_worker_joins()
    {
        var sim = new Simulation(ShardMap.Even(4), replicas: 1, "w1");
        sim.RunUntilQuiet();
        sim.SetDrained("w1", true);
        sim.RunUntilQuiet();

        Assert.Equal(4, sim.Held("w1"));
        Assert.True(sim.MinServingPerShard >= 1, "a blocked drain lowered availability");
        Assert.Equal([0, 1, 2, 3], sim.Planner.Blocked.Select(b => b.Shard).Order());
        Assert.All(sim.Planner.Blocked, b => Assert.Contains("no other live, undrained worker", b.Reason, StringComparison.Ordinal));

        sim.AddWorker("w2");
        sim.RunUntilQuiet();
        Assert.Equal((0, 4), (sim.Held("w1"), sim.Held("w2")));
        Assert.Empty(sim.Planner.Blocked);
    }

    [Fact]
    public void A_drain_never_leaves_a_shard_with_fewer_replicas_than_it_had_up_to_its_replica_count()
    {
        var sim = new Simulation(ShardMap.Even(4), replicas: 2, "w1", "w2");
        sim.RunUntilQuiet();
        sim.SetDrained("w2", true);
        sim.RunUntilQuiet();

        // Two replicas need two distinct workers; w1 already holds one of each, so w2 keeps its own and says why.
        Assert.Equal((4, 4), (sim.Held("w1"), sim.Held("w2")));
        Assert.True(sim.MinServingPerShard >= 2, "a blocked drain lowered availability");
        Assert.Equal(4, sim.Planner.Blocked.Count);
        Assert.All(sim.Planner.Blocked, b => Assert.Contains("needs 2 replicas on distinct workers", b.Reason, StringComparison.Ordinal));
        Assert.All(sim.Planner.Blocked, b => Assert.Contains("w1 holds one", b.Reason, StringComparison.Ordinal));

        sim.AddWorker("w3");
        sim.RunUntilQuiet();
        Assert.Equal((4, 0, 4), (sim.Held("w1"), sim.Held("w2"), sim.Held("w3")));
        Assert.True(sim.MinServingPerShard >= 2, "the drain lowered availability once it could go on");
        Assert.Empty(sim.Planner.Blocked);
    }

    [Fact]
    public void A_drain_sends_a_replica_only_where_its_size_fits_above_the_disk_floor()
    {
        var sim = new Simulation(ShardMap.Even(2), replicas: 1, "w1");
        sim.RunUntilQuiet();
        sim.AddWorker("w2");
        sim.SetRoom("w2", 1_500_000); // room for one replica of 1 MB, not two
        sim.SetDrained("w1", true);
        sim.RunUntilQuiet();

        Assert.Equal((1, 1), (sim.Held("w1"), sim.Held("w2")));
        var blocked = Assert.Single(sim.Planner.Blocked);
        Assert.Contains("w2 has 488.3 KiB free above its floor", blocked.Reason, StringComparison.Ordinal);
        Assert.Contains("976.6 KiB", blocked.Reason, StringComparison.Ordinal); // the replica's size, from its source

        sim.SetRoom("w2", 10_000_000);
        sim.RunUntilQuiet();
        Assert.Equal((0, 2), (sim.Held("w1"), sim.Held("w2")));
        Assert.Empty(sim.Planner.Blocked);
    }

    [Fact]
    public void The_rebalancer_moves_no_replica_to_a_worker_it_would_not_fit_on()
    {
        var sim = new Simulation(ShardMap.Even(4), replicas: 1, "w1");
        sim.RunUntilQuiet();
        sim.AddWorker("w2");
        sim.SetRoom("w2", 1_500_000);
        sim.RunUntilQuiet();
        Assert.Equal((3, 1), (sim.Held("w1"), sim.Held("w2")));
        Assert.Equal("no replica on w1 fits the lightest worker: w2 has 488.3 KiB free above its floor, and the smallest of its replicas is about 976.6 KiB; add disk or workers", sim.Planner.RebalanceBlocked);
    }

    [Fact]
    public void A_split_builds_its_children_only_where_half_the_parent_fits()
    {
        var sim = new Simulation(ShardMap.Even(1), replicas: 1, "w1") { BytesPerReplica = 4_000_000 };
        sim.RunUntilQuiet();
        sim.AddWorker("w2");
        sim.SetRoom("w2", 1_500_000); // empty, so the lightest, but a child of about 2 MB does not fit
        sim.Map = sim.Map.BeginSplit(0);
        sim.RunUntil(() => sim.Map.Serving.Count == 2);
        Assert.Equal(0, sim.Held("w2"));
    }

    [Fact]
    public void Replicas_of_a_dead_worker_are_recreated_only_where_they_fit_and_the_shard_says_why_it_waits()
    {
        var sim = new Simulation(ShardMap.Even(2), replicas: 2, "w1", "w2", "w3");
        sim.RunUntilQuiet();
        var onW3 = sim.Assignments.Where(a => a.NodeId == "w3").Select(a => a.Shard).ToList();
        // Neither is below its floor, but neither has room for another replica of 1 MB above it.
        sim.SetRoom("w1", (sim.Held("w1") * 1_000_000) + 500_000);
        sim.SetRoom("w2", (sim.Held("w2") * 1_000_000) + 500_000);
        sim.Kill("w3");
        sim.RunUntilQuiet();
        Assert.DoesNotContain(sim.Assignments, a => a.NodeId == "w3");
        Assert.Equal(onW3, sim.Planner.Blocked.Select(b => b.Shard).Order());
        Assert.All(sim.Planner.Blocked, b => Assert.Contains("free above its floor", b.Reason, StringComparison.Ordinal));
    }
}
