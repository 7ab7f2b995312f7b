namespace Mosaic.Core.Scaling;

/// <summary>One rate limit of a scaling direction (Kubernetes HPA <c>behavior.*.policies[]</c>): at most
/// <see cref="Value"/> pods, or <see cref="Value"/> percent of the replicas at the start of the period, per <see cref="Period"/>.</summary>
public sealed record ScalingPolicy
{
    /// <summary>Pods or Percent.</summary>
    public ScalingPolicyType Type { get; init; } = ScalingPolicyType.Percent;

    public int Value { get; init; } = 100;

    public TimeSpan Period { get; init; } = TimeSpan.FromSeconds(15);

    public override string ToString() => $"{Value}{(Type == ScalingPolicyType.Percent ? " %" : " pods")} per {Period.TotalSeconds:0} s";
}

/// <summary>How a <see cref="ScalingPolicy"/> counts.</summary>
public enum ScalingPolicyType
{
    /// <summary>A number of replicas.</summary>
    Pods,

    /// <summary>A percentage of the replicas at the start of the period.</summary>
    Percent,
}

/// <summary>Which policy wins when several apply: the one allowing the largest change (HPA's default), the smallest, or none (no scaling in that direction).</summary>
public enum SelectPolicy
{
    Max,
    Min,
    Disabled,
}
