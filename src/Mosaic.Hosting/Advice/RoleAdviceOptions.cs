using Mosaic.Core.Scaling;

namespace Mosaic.Hosting.Advice;

/// <summary>
/// One role's targets and HPA behaviour, bound from "Mosaic:Advice:Coordinators" or "Mosaic:Advice:Workers". Flat fields
/// (not lists of policies), so each is one flag: <c>--Mosaic:Advice:Workers:ScaleUpPods=2</c>.
/// </summary>
public sealed record RoleAdviceOptions
{
    public int MinReplicas { get; init; } = 1;

    public int MaxReplicas { get; init; } = 100;

    /// <summary>Average process CPU over wall time × cores, per node (HPA's usual 70 % utilization target: headroom for a
    /// node's loss and for the minute it takes to add one).</summary>
    public double TargetCpuUtilization { get; init; } = 0.70;

    /// <summary>Searches per second per node (coordinators: API searches; workers: shard searches); null leaves it out.</summary>
    public double? TargetQpsPerReplica { get; init; }

    /// <summary>Cluster search p99 in ms (workers only: shard work is what a search waits for); null leaves it out.</summary>
    public double? TargetP99Ms { get; init; }

    /// <summary>Largest replica lag in changes (workers only: applying the log is their job); null leaves it out.</summary>
    public long? TargetLag { get; init; }

    /// <summary>A ratio within 1 ± this proposes no change (HPA: 0.1).</summary>
    public double Tolerance { get; init; } = 0.1;

    public TimeSpan ScaleUpStabilization { get; init; } = TimeSpan.Zero;

    public int ScaleUpPercent { get; init; } = 100;

    public int? ScaleUpPods { get; init; } = 4;

    public TimeSpan ScaleUpPeriod { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan ScaleDownStabilization { get; init; } = TimeSpan.FromMinutes(5);

    public int ScaleDownPercent { get; init; } = 100;

    public int? ScaleDownPods { get; init; }

    public TimeSpan ScaleDownPeriod { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The HPA spec these fields stand for.</summary>
    public ScalerOptions ToScaler() => new()
    {
        MinReplicas = MinReplicas,
        MaxReplicas = MaxReplicas,
        Tolerance = Tolerance,
        ScaleUp = new ScalingRules { StabilizationWindow = ScaleUpStabilization, Policies = Policies(ScaleUpPercent, ScaleUpPods, ScaleUpPeriod) },
        ScaleDown = new ScalingRules { StabilizationWindow = ScaleDownStabilization, Policies = Policies(ScaleDownPercent, ScaleDownPods, ScaleDownPeriod) },
    };

    public IEnumerable<string> Validate(string name)
    {
        if (TargetCpuUtilization is <= 0 or > 1)
        {
            yield return $"{name}:TargetCpuUtilization must be within 0..1, got {TargetCpuUtilization}";
        }

        if (TargetQpsPerReplica is <= 0 || TargetP99Ms is <= 0 || TargetLag is <= 0)
        {
            yield return $"{name}: TargetQpsPerReplica, TargetP99Ms and TargetLag must be positive when set";
        }

        if (ScaleUpPercent <= 0 || ScaleDownPercent is <= 0 or > 100 || ScaleUpPods is <= 0 || ScaleDownPods is <= 0)
        {
            yield return $"{name}: ScaleUpPercent, ScaleUpPods and ScaleDownPods must be positive and ScaleDownPercent within 1..100";
        }

        foreach (var error in ToScaler().Validate(name))
        {
            yield return error;
        }
    }

    private static List<ScalingPolicy> Policies(int percent, int? pods, TimeSpan period) =>
        pods is int p
            ? [new ScalingPolicy { Type = ScalingPolicyType.Percent, Value = percent, Period = period }, new ScalingPolicy { Type = ScalingPolicyType.Pods, Value = p, Period = period }]
            : [new ScalingPolicy { Type = ScalingPolicyType.Percent, Value = percent, Period = period }];
}
