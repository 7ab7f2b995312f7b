namespace Mosaic.Core.Scaling;

/// <summary>One direction of Kubernetes HPA <c>behavior</c>: a stabilization window and rate policies.</summary>
public sealed record ScalingRules
{
    /// <summary>Recommendations over this window are considered together: scaling up takes their minimum, scaling down
    /// their maximum, so a short spike or dip does not move the replica count (no flapping).</summary>
    public TimeSpan StabilizationWindow { get; init; }

    public IReadOnlyList<ScalingPolicy> Policies { get; init; } = [new ScalingPolicy()];

    public SelectPolicy SelectPolicy { get; init; } = SelectPolicy.Max;

    /// <summary>HPA's default scale-up: no stabilization; at most double or +4 pods (whichever is more) per 15 s.</summary>
    public static ScalingRules DefaultUp => new()
    {
        StabilizationWindow = TimeSpan.Zero,
        Policies = [new ScalingPolicy { Type = ScalingPolicyType.Percent, Value = 100 }, new ScalingPolicy { Type = ScalingPolicyType.Pods, Value = 4 }],
    };

    /// <summary>HPA's default scale-down: a 300 s stabilization window; up to 100 % per 15 s after it.</summary>
    public static ScalingRules DefaultDown => new()
    {
        StabilizationWindow = TimeSpan.FromMinutes(5),
        Policies = [new ScalingPolicy { Type = ScalingPolicyType.Percent, Value = 100 }],
    };

    public IEnumerable<string> Validate(string name)
    {
        if (StabilizationWindow < TimeSpan.Zero || StabilizationWindow > TimeSpan.FromHours(1))
        {
            yield return $"{name}:StabilizationWindow must be within 0..1 h (Kubernetes allows 0..3600 s), got {StabilizationWindow}";
        }

        if (SelectPolicy != SelectPolicy.Disabled && Policies.Count == 0)
        {
            yield return $"{name}:Policies must hold at least one policy unless SelectPolicy is Disabled";
        }

        foreach (var p in Policies)
        {
            if (p.Value <= 0 || p.Period <= TimeSpan.Zero || p.Period > TimeSpan.FromMinutes(30))
            {
                yield return $"{name}:Policies: value must be > 0 and period within 0..30 min (Kubernetes: 1..1800 s), got {p}";
            }
        }
    }
}
