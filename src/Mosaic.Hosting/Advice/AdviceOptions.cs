namespace Mosaic.Hosting.Advice;

/// <summary>
/// The advisor's threshold table, bound from "Mosaic:Advice". Every default is written in docs/operations.md with why.
/// </summary>
public sealed record AdviceOptions
{
    /// <summary>Signals are summed over this window before each evaluation (HPA reads metrics averaged over about a minute).</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Coordinators: CPU only by default (they are stateless; their CPU is what searches and writes cost them).</summary>
    public RoleAdviceOptions Coordinators { get; init; } = new() { MaxReplicas = 20 };

    /// <summary>Workers: CPU, search p99 and replication lag.</summary>
    public RoleAdviceOptions Workers { get; init; } = new() { TargetP99Ms = 100, TargetLag = 10_000 };

    /// <summary>Above this 5xx rate the advice says to investigate (adding nodes does not fix failing requests).</summary>
    public double MaxErrorRate { get; init; } = 0.01;

    /// <summary>Above this rate of partial or failed searches the advice says to look at the workers.</summary>
    public double MaxPartialRate { get; init; } = 0.01;

    /// <summary>A shard with more documents than this should be split.</summary>
    public long SplitShardDocs { get; init; } = 5_000_000;

    /// <summary>A shard bigger than this (file plus in-memory index) should be split: it takes this long to copy to a new
    /// replica, and it must fit beside others in one node's memory.</summary>
    public long SplitShardBytes { get; init; } = 8L << 30;

    /// <summary>A shard whose replicas each answer more searches per second than this is hot: add a replica.</summary>
    public double HotShardQpsPerReplica { get; init; } = 200;

    /// <summary>A shard answering more than this many times its collection's mean shard rate is hot too (skew).</summary>
    public double HotShardSkew { get; init; } = 2;

    /// <summary>Skew is only judged above this shard rate (a few searches per second are noise, not a hot shard).</summary>
    public double HotShardMinQps { get; init; } = 10;

    /// <summary>Node weight imbalance (as /cluster's shard_imbalance) above which the advice mentions rebalancing.</summary>
    public double MaxImbalance { get; init; } = 1.5;

    public IEnumerable<string> Validate()
    {
        if (Window < TimeSpan.FromSeconds(1) || Window > TimeSpan.FromMinutes(10))
        {
            yield return $"Mosaic:Advice:Window must be within 1 s..10 min, got {Window}";
        }

        if (MaxErrorRate is < 0 or > 1 || MaxPartialRate is < 0 or > 1)
        {
            yield return "Mosaic:Advice:MaxErrorRate and MaxPartialRate must be within 0..1";
        }

        if (SplitShardDocs <= 0 || SplitShardBytes <= 0 || HotShardQpsPerReplica <= 0 || HotShardSkew <= 1 || HotShardMinQps < 0 || MaxImbalance < 1)
        {
            yield return "Mosaic:Advice: SplitShardDocs, SplitShardBytes and HotShardQpsPerReplica must be positive, HotShardSkew above 1, HotShardMinQps not negative, MaxImbalance at least 1";
        }

        foreach (var error in Coordinators.Validate("Mosaic:Advice:Coordinators").Concat(Workers.Validate("Mosaic:Advice:Workers")))
        {
            yield return error;
        }
    }
}
