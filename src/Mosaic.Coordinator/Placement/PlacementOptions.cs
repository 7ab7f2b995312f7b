namespace Mosaic.Coordinator.Placement;

/// <summary>Settings of the placement leader, bound from "Mosaic:Placement".</summary>
public sealed record PlacementOptions
{
    /// <summary>How long the leader's lease lasts without renewal; another coordinator takes over after it.</summary>
    public TimeSpan LeaderLease { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the leader re-plans when nothing signals a change.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Rebalancing starts when the heaviest shard-holding node weighs more than this many times the lightest
    /// (8 equal shards on 3 nodes are 3/3/2: 1.5 is as even as they get).</summary>
    public double RebalanceAbove { get; init; } = 1.5;

    /// <summary>How long the imbalance must last before the first move (a stabilization window: a restart or a burst of
    /// load does not move replicas).</summary>
    public TimeSpan RebalanceAfter { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A move must shrink the gap between heaviest and lightest by this much more than the replica it moves, so
    /// two nodes never trade the same replica back and forth.</summary>
    public double Hysteresis { get; init; } = 0.2;

    /// <summary>Replica moves (and drain replacements) in flight at once, cluster-wide: each new replica reads its shard
    /// from the store.</summary>
    public int MaxConcurrentMoves { get; init; } = 2;

    /// <summary>Pause after a move before the next one is planned, so weights settle (load moves with the replica).</summary>
    public TimeSpan MoveCooldown { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a shard the rebalancer moved stays where it went: its new replica's first load reports cover part of
    /// a window and read low, and moving it again on them would be a flap (measured: a shard moved back 10 s later).</summary>
    public TimeSpan ShardRestAfterMove { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a replica stays draining (answering, but routed to by nobody new) before it is removed: longer
    /// than routers take to see the change, so no query reaches a replica that is gone.</summary>
    public TimeSpan DrainGrace { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How long a replica may stay Failed (its node restarts it with backoff meanwhile) before a replacement is
    /// built on another node; the failed one is removed once the replacement serves.</summary>
    public TimeSpan ReplaceFailedAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How much one search per second on a shard weighs, in bytes held: each replica carries its share of its
    /// shard's load (weight = bytes + shard searches/s ÷ replicas × this), so how coordinators pick among replicas does
    /// not move them.</summary>
    public long QueryLoadBytes { get; init; } = 1 << 20;

    /// <summary>A serving shard with more documents than this splits in two by itself; 0 turns it off.</summary>
    public long SplitAtDocs { get; init; }

    /// <summary>A serving shard bigger than this (file plus index) splits in two by itself; 0 turns it off.</summary>
    public long SplitAtBytes { get; init; }

    /// <summary>How often the leader compacts the change log of shards whose replicas are all caught up.</summary>
    public TimeSpan CompactEvery { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Changes kept per slot behind its head after compaction (a replica a little behind needs no rebuild);
    /// the log then holds at most 1,024 × this per collection beyond what lagging replicas still need.</summary>
    public int LogKeepPerSlot { get; init; } = 16;

    /// <summary>A bound on how old a live worker's last lag report is (workers report every 2 s, from slot heads re-read at
    /// least every poll interval, 1 s): the log is compacted only to heads taken at least this long before the lag-0 reports
    /// were read.</summary>
    public TimeSpan ReportsWithin { get; init; } = TimeSpan.FromSeconds(4);

    public IEnumerable<string> Validate()
    {
        if (CompactEvery <= TimeSpan.Zero || LogKeepPerSlot < 0 || ReportsWithin <= TimeSpan.Zero)
        {
            yield return "Mosaic:Placement: CompactEvery and ReportsWithin must be positive and LogKeepPerSlot not negative";
        }

        if (Interval <= TimeSpan.Zero || LeaderLease <= Interval)
        {
            yield return "Mosaic:Placement: Interval must be positive and LeaderLease longer than Interval";
        }

        if (RebalanceAbove < 1 || Hysteresis < 0)
        {
            yield return "Mosaic:Placement: RebalanceAbove must be at least 1 and Hysteresis not negative";
        }

        if (MaxConcurrentMoves < 1)
        {
            yield return "Mosaic:Placement:MaxConcurrentMoves must be at least 1";
        }

        if (MoveCooldown < TimeSpan.Zero || ShardRestAfterMove < TimeSpan.Zero || RebalanceAfter < TimeSpan.Zero || DrainGrace < TimeSpan.Zero || ReplaceFailedAfter < TimeSpan.Zero || QueryLoadBytes < 0 || SplitAtDocs < 0 || SplitAtBytes < 0)
        {
            yield return "Mosaic:Placement: MoveCooldown, ShardRestAfterMove, RebalanceAfter, DrainGrace, ReplaceFailedAfter, QueryLoadBytes, SplitAtDocs and SplitAtBytes must not be negative";
        }
    }
}
