namespace Mosaic.Coordinator.Placement;

/// <summary>Settings of the placement leader, bound from "Mosaic:Placement".</summary>
public sealed record PlacementOptions
{
    /// <summary>How long the leader's lease lasts without renewal; another coordinator takes over after it.</summary>
    public TimeSpan LeaderLease { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the leader re-plans when nothing signals a change.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    public IEnumerable<string> Validate()
    {
        if (Interval <= TimeSpan.Zero || LeaderLease <= Interval)
        {
            yield return "Mosaic:Placement: Interval must be positive and LeaderLease longer than Interval";
        }
    }
}
