using Mosaic.Coordinator.Placement;
using Mosaic.Core.Collections;
using Mosaic.Core.Placement;
using Mosaic.Core.Sharding;
using Xunit;

namespace Mosaic.Tests.Placement;

/// <summary>A store plus workers that build any assigned replica by the next round.</summary>
internal sealed class Simulation
{
    private const long Floor = 1L << 30;
    private readonly List<NodeInfo> _nodes;
    private readonly Dictionary<string, long> _room = [];
    private PlacementPlanner? _planner;
    private TimeSpan _now;

    public Simulation(ShardMap map, int replicas, params string[] workers)
    {
        Map = map;
        Replicas = replicas;
        _nodes = workers.Select(Worker).ToList();
    }

    public PlacementOptions Options { get; set; } = PlacementPlannerTests.Options;

    /// <summary>The collection's R, as the catalog holds it: a change applies from the next round, as a PATCH does.</summary>
    public int Replicas { get; set; }

    public ShardMap Map { get; set; }

    public long DocsPerReplica { get; init; } = 100;

    /// <summary>What a replica reports holding once it serves.</summary>
    public long BytesPerReplica { get; set; } = 1_000_000;

    public List<ReplicaAssignment> Assignments { get; } = [];

    public int MinServingPerShard { get; private set; } = int.MaxValue;

    public int Held(string node) => Assignments.Count(a => a.NodeId == node);

    public void AddWorker(string id) => _nodes.Add(Worker(id));

    public void ReportBytes(string node, long bytes) => Report(node, a => a with { Bytes = bytes });

    public void ReportDocs(string node, long docs) => Report(node, a => a with { Docs = docs });

    private void Report(string node, Func<ReplicaAssignment, ReplicaAssignment> change)
    {
        for (int i = 0; i < Assignments.Count; i++)
        {
            Assignments[i] = Assignments[i].NodeId == node ? change(Assignments[i]) : Assignments[i];
        }
    }

    /// <summary>The node reports the replica Failed (its restarts keep failing) until <see cref="Recover"/>.</summary>
    public void Fail(int shard, string node) => SetState(shard, node, ReplicaState.Failed);

    public void Recover(int shard, string node) => SetState(shard, node, ReplicaState.Serving);

    public void RunFor(TimeSpan time)
    {
        for (var end = _now + time; _now < end;)
        {
            Round();
        }
    }

    private void SetState(int shard, string node, ReplicaState state)
    {
        int at = Assignments.FindIndex(a => a.Shard == shard && a.NodeId == node);
        Assignments[at] = Assignments[at] with { State = state };
    }

    public PlacementPlanner Planner => _planner ??= new PlacementPlanner(Options);

    /// <summary>The node reports free space below (or above) a 1 GiB floor with its next renewal.</summary>
    public void SetDiskLow(string id, bool low)
    {
        int i = _nodes.FindIndex(n => n.NodeId == id);
        _nodes[i] = _nodes[i] with { Disk = new NodeDisk(low ? 1L << 20 : 1L << 40, 1L << 41, 1L << 30) };
    }

    /// <summary>The node's disk has <paramref name="room"/> bytes above its floor before the replicas it holds: each
    /// serving replica's bytes come off it, as its files would.</summary>
    public void SetRoom(string id, long room) => _room[id] = room;

    /// <summary>The node's lease runs out: placement sees it dead.</summary>
    public void Kill(string id)
    {
        int i = _nodes.FindIndex(n => n.NodeId == id);
        _nodes[i] = _nodes[i] with { Live = false };
    }

    public void SetDrained(string id, bool drained)
    {
        int i = _nodes.FindIndex(n => n.NodeId == id);
        _nodes[i] = _nodes[i] with { Drained = drained };
    }

    /// <summary>Rounds until nothing changes; <see cref="MinServingPerShard"/> then covers these rounds only.</summary>
    public int RunUntilQuiet()
    {
        MinServingPerShard = int.MaxValue;
        int moves = 0, quiet = 0;
        for (int round = 0; round < 500 && quiet < 8; round++)
        {
            var actions = Round();
            moves += actions.OfType<PlacementAction.Assign>().Count(a => Assignments.Count(b => b.Shard == a.Shard) > Replicas);
            quiet = actions.Count == 0 && Assignments.All(a => a.State == ReplicaState.Serving) ? quiet + 1 : 0;
        }

        return moves;
    }

    public void RunUntil(Func<bool> done)
    {
        for (int round = 0; round < 500 && !done(); round++)
        {
            Round();
        }

        Assert.True(done(), "the planner never got there");
    }

    private List<PlacementAction> Round()
    {
        _now += TimeSpan.FromSeconds(1);
        // Workers: a replica assigned serves, caught up, two rounds later (the planner sees it building once).
        for (int i = 0; i < Assignments.Count; i++)
        {
            if (Assignments[i].State == ReplicaState.Building)
            {
                Assignments[i] = Assignments[i].Lag > 0
                    ? Assignments[i] with { State = ReplicaState.Serving, Lag = 0, Bytes = BytesPerReplica, Docs = DocsPerReplica }
                    : Assignments[i] with { Lag = 1 };
            }
        }

        var collection = new CollectionInfo(1, new CollectionSpec("c", 3, VectorMetric.Cosine, 2, Replicas, new Dictionary<string, FieldType>(), HnswSettings.Default), Map);
        var nodes = _nodes.Select(n => _room.TryGetValue(n.NodeId, out long room)
            ? n with { Disk = new NodeDisk(Floor + room - Assignments.Where(a => a.NodeId == n.NodeId).Sum(a => a.Bytes), 1L << 41, Floor) }
            : n).ToList();
        var actions = Planner.Plan([collection], nodes, new PlacementSnapshot(1, Assignments.ToList()), _now).ToList();
        foreach (var action in actions)
        {
            switch (action)
            {
                case PlacementAction.Assign a when !Assignments.Any(b => b.Shard == a.Shard && b.NodeId == a.Node):
                    Assignments.Add(new ReplicaAssignment(1, a.Shard, a.Node, ReplicaState.Building, 0));
                    break;
                case PlacementAction.MarkDraining d:
                    int at = Assignments.FindIndex(b => b.Shard == d.Shard && b.NodeId == d.Node);
                    Assignments[at] = Assignments[at] with { State = ReplicaState.Draining };
                    break;
                case PlacementAction.Unassign u:
                    Assignments.RemoveAll(b => b.Shard == u.Shard && b.NodeId == u.Node);
                    break;
                case PlacementAction.ChangeMap m:
                    Assert.Equal(Map.Version, m.Expected.Version);
                    Map = m.Next;
                    break;
            }
        }

        foreach (var shard in Map.Serving)
        {
            MinServingPerShard = Math.Min(MinServingPerShard, Assignments.Count(a => a.Shard == shard.Id && a.State is ReplicaState.Serving or ReplicaState.Draining));
        }

        return actions;
    }

    private static NodeInfo Worker(string id) => new(id, NodeRole.Worker, "http://" + id, DateTimeOffset.MaxValue, Live: true);
}
