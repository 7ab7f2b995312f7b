namespace Mosaic.Core.Scaling;

/// <summary>A <see cref="HorizontalScaler"/>'s bounds and behaviour (Kubernetes HPA spec: min/max replicas, tolerance, behavior).</summary>
public sealed record ScalerOptions
{
    public int MinReplicas { get; init; } = 1;

    public int MaxReplicas { get; init; } = 100;

    /// <summary>A ratio within 1 ± this changes nothing (HPA's default 10 %): small noise never moves the count.</summary>
    public double Tolerance { get; init; } = 0.1;

    public ScalingRules ScaleUp { get; init; } = ScalingRules.DefaultUp;

    public ScalingRules ScaleDown { get; init; } = ScalingRules.DefaultDown;

    public IEnumerable<string> Validate(string name)
    {
        if (MinReplicas < 1 || MaxReplicas < MinReplicas)
        {
            yield return $"{name}: MinReplicas must be at least 1 and MaxReplicas at least MinReplicas, got {MinReplicas}..{MaxReplicas}";
        }

        if (Tolerance is < 0 or >= 1)
        {
            yield return $"{name}:Tolerance must be within 0..1, got {Tolerance}";
        }

        foreach (var error in ScaleUp.Validate(name + ":ScaleUp").Concat(ScaleDown.Validate(name + ":ScaleDown")))
        {
            yield return error;
        }
    }
}
