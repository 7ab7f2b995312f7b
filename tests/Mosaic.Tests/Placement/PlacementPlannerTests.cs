using Mosaic.Coordinator.Placement;
using Mosaic.Core.Collections;
using Mosaic.Core.Placement;
using Mosaic.Core.Sharding;
using Xunit;

namespace Mosaic.Tests.Placement;

/// <summary>The planner driven round by round against a simulated store whose workers build replicas at once.</summary>
public sealed class PlacementPlannerTests
{
    internal static readonly PlacementOptions Options = new() { MoveCooldown = TimeSpan.FromSeconds(2), DrainGrace = TimeSpan.FromSeconds(3) };

    [Fact]
    public void Workers_that_join_receive_replicas_until_weights_are_within_the_threshold_and_then_nothing_moves()
    {
        var sim = new Simulation(ShardMap.Even(8), replicas: 1, "w1");
        sim.RunUntilQuiet();
        Assert.Equal(8, sim.Held("w1"));

        sim.AddWorker("w2");
        sim.AddWorker("w3");
        var moves = sim.RunUntilQuiet();
        var counts = new[] { sim.Held("w1"), sim.Held("w2"), sim.Held("w3") };
        Assert.All(counts, c => Assert.InRange(c, 2, 3));
        Assert.Equal(8, counts.Sum());
        // Never fewer than one serving replica per shard at any step, and no replica traded back and forth.
        Assert.True(sim.MinServingPerShard >= 1, "a move lowered availability");
        Assert.Equal(5, moves);
        Assert.Equal(0, sim.RunUntilQuiet());
    }

    [Fact]
    public void A_shard_the_rebalancer_moved_rests_where_it_went_before_it_moves_again()
    {
        var sim = new Simulation(ShardMap.Even(8), replicas: 1, "w1");
        sim.RunUntilQuiet();
        sim.AddWorker("w2");
        sim.AddWorker("w3");
        sim.RunUntilQuiet();
        var moved = sim.Assignments.Where(a => a.NodeId != "w1").Select(a => a.Shard).ToHashSet();

        // A fourth worker right after: the shards that just moved stay put; only w1's may go.
        sim.AddWorker("w4");
        sim.RunUntilQuiet();
        Assert.All(sim.Assignments.Where(a => moved.Contains(a.Shard)), a => Assert.NotEqual("w4", a.NodeId));

        // After the rest they balance too: 8 shards, 2 on each of 4 workers.
        sim.RunFor(PlacementPlannerTests.Options.ShardRestAfterMove);
        sim.RunUntilQuiet();
        Assert.All(new[] { "w1", "w2", "w3", "w4" }, n => Assert.Equal(2, sim.Held(n)));
    }

    [Fact]
    public void File_size_noise_with_the_same_documents_moves_nothing()
    {
        var sim = new Simulation(ShardMap.Even(6), replicas: 1, "w1", "w2", "w3");
        sim.RunUntilQuiet();
        Assert.All(new[] { "w1", "w2", "w3" }, n => Assert.Equal(2, sim.Held(n)));

        // w2's replicas were just built: an uncheckpointed WAL doubles their files, their documents are the same.
        sim.ReportBytes("w2", 2_000_000);
        Assert.Equal(0, sim.RunUntilQuiet());

        // More documents are more weight: w3's shards hold 4x as many, and the lightest node takes one of them.
        sim.ReportDocs("w3", 400);
        Assert.True(sim.RunUntilQuiet() > 0, "a node holding 4x the documents kept all its shards");
        Assert.Equal(1, sim.Held("w3"));
    }

    [Fact]
    public void A_drained_node_ends_holding_nothing_and_gets_work_again_only_after_undrain()
    {
        var sim = new Simulation(ShardMap.Even(6), replicas: 2, "w1", "w2", "w3");
        sim.RunUntilQuiet();
        Assert.Equal(12, sim.Held("w1") + sim.Held("w2") + sim.Held("w3"));

        sim.SetDrained("w2", true);
        sim.RunUntilQuiet();
        Assert.Equal(0, sim.Held("w2"));
        Assert.Equal(12, sim.Held("w1") + sim.Held("w3"));
        Assert.True(sim.MinServingPerShard >= 2, "a drain lowered availability");

        sim.SetDrained("w2", false);
        sim.RunUntilQuiet();
        Assert.InRange(sim.Held("w2"), 3, 5);
    }

    [Fact]
    public void A_split_switches_once_both_children_serve_caught_up_and_the_parent_retires_after_the_grace()
    {
        var sim = new Simulation(ShardMap.Even(2).BeginSplit(0), replicas: 1, "w1", "w2");
        sim.RunUntilQuiet();
        var map = sim.Map;
        Assert.Equal([1, 2, 3], map.Serving.Select(s => s.Id).Order());
        Assert.Equal(ShardState.Retired, map.Find(0)!.State);
        Assert.DoesNotContain(sim.Assignments, a => a.Shard == 0);
    }

    [Fact]
    public void A_shard_past_the_document_threshold_splits_by_itself()
    {
        var sim = new Simulation(ShardMap.Even(1), replicas: 1, "w1") { DocsPerReplica = 500 };
        sim.Options = Options with { SplitAtDocs = 400 };
        sim.RunUntil(() => sim.Map.Serving.Count == 2);
        Assert.Equal([1, 2], sim.Map.Serving.Select(s => s.Id));
    }

    [Fact]
    public void A_replica_that_stays_failed_is_rebuilt_on_another_node_and_then_removed()
    {
        var sim = new Simulation(ShardMap.Even(2), replicas: 1, "w1", "w2");
        sim.RunUntilQuiet();
        var broken = sim.Assignments.Single(a => a.Shard == 0);
        sim.Fail(0, broken.NodeId);

        // Its node keeps restarting it (with backoff) for a while: nothing moves before ReplaceFailedAfter.
        sim.RunFor(Options.ReplaceFailedAfter - TimeSpan.FromSeconds(2));
        Assert.Equal([broken.NodeId], sim.Assignments.Where(a => a.Shard == 0).Select(a => a.NodeId));

        sim.RunUntilQuiet();
        var now = sim.Assignments.Where(a => a.Shard == 0).ToList();
        Assert.Single(now);
        Assert.NotEqual(broken.NodeId, now[0].NodeId);
        Assert.Equal(ReplicaState.Serving, now[0].State);
    }

    [Fact]
    public void A_failed_replica_that_recovers_before_the_deadline_stays_where_it_is()
    {
        var sim = new Simulation(ShardMap.Even(2), replicas: 1, "w1", "w2");
        sim.RunUntilQuiet();
        var broken = sim.Assignments.Single(a => a.Shard == 0);
        sim.Fail(0, broken.NodeId);
        sim.RunFor(Options.ReplaceFailedAfter / 2);
        sim.Recover(0, broken.NodeId);
        sim.RunFor(Options.ReplaceFailedAfter);
        Assert.Equal([broken.NodeId], sim.Assignments.Where(a => a.Shard == 0).Select(a => a.NodeId));
    }

    [Fact]
    public void A_worker_low_on_disk_gets_no_new_replica_neither_placed_nor_moved_nor_drained_to()
    {
        var sim = new Simulation(ShardMap.Even(6), replicas: 1, "w1", "w2");
        sim.SetDiskLow("w2", true);
        sim.RunUntilQuiet();
        Assert.Equal(6, sim.Held("w1"));
        Assert.Equal(0, sim.Held("w2"));
        Assert.Equal(["w2"], sim.Planner.Targets.DiskLow.Select(n => n.NodeId));

        // A third worker joins: the rebalancer moves half to it, none to the emptier w2.
        sim.AddWorker("w3");
        sim.RunUntilQuiet();
        Assert.Equal((3, 0, 3), (sim.Held("w1"), sim.Held("w2"), sim.Held("w3")));

        // Draining w1 re-creates its replicas on w3 only.
        sim.SetDrained("w1", true);
        sim.RunUntilQuiet();
        Assert.Equal((0, 0, 6), (sim.Held("w1"), sim.Held("w2"), sim.Held("w3")));
    }

    [Fact]
    public void Replicas_a_worker_holds_stay_when_its_disk_goes_low_and_it_gets_work_again_once_it_has_room()
    {
        var sim = new Simulation(ShardMap.Even(6), replicas: 2, "w1", "w2", "w3");
        sim.RunUntilQuiet();
        int held = sim.Held("w2");
        Assert.InRange(held, 3, 5);

        sim.SetDiskLow("w2", true);
        Assert.Equal(0, sim.RunUntilQuiet());
        Assert.Equal(held, sim.Held("w2"));

        sim.SetDrained("w3", true);
        sim.RunUntilQuiet();
        Assert.Equal(held, sim.Held("w2"));
        Assert.Equal(6, sim.Held("w1"));

        sim.SetDiskLow("w2", false);
        sim.SetDrained("w3", false);
        sim.RunUntilQuiet();
        Assert.Equal(12, sim.Held("w1") + sim.Held("w2") + sim.Held("w3"));
        Assert.InRange(sim.Held("w3"), 3, 5);
    }

    [Fact]
    public void When_every_worker_is_low_on_disk_shards_are_still_placed_as_before()
    {
        var sim = new Simulation(ShardMap.Even(6), replicas: 2, "w1", "w2", "w3");
        foreach (var w in new[] { "w1", "w2", "w3" })
        {
            sim.SetDiskLow(w, true);
        }

        sim.RunUntilQuiet();
        Assert.True(sim.Planner.Targets.DiskLowEverywhere);
        Assert.All(new[] { "w1", "w2", "w3" }, n => Assert.Equal(4, sim.Held(n)));
    }
}
