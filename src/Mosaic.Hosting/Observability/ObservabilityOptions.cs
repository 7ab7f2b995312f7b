namespace Mosaic.Hosting.Observability;

/// <summary>Dashboard and advice sampling, bound from "Mosaic:Observability".</summary>
public sealed record ObservabilityOptions
{
    /// <summary>How often a coordinator samples the cluster (nodes, placement, every node's /signals) for the dashboard and the advisor.</summary>
    public TimeSpan SampleInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How far back the dashboard's charts reach.</summary>
    public TimeSpan DashboardSpan { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a node has to answer its /signals before the sample goes on without it.</summary>
    public TimeSpan NodeTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Samples older than this are forgotten (the history is what the dashboard and the advisor's windows read).</summary>
    public static readonly TimeSpan History = TimeSpan.FromSeconds(SignalRecorder.Seconds);

    public IEnumerable<string> Validate()
    {
        if (SampleInterval < TimeSpan.FromMilliseconds(500) || SampleInterval > TimeSpan.FromMinutes(1))
        {
            yield return $"Mosaic:Observability:SampleInterval must be within 0.5 s..1 min, got {SampleInterval}";
        }

        if (DashboardSpan < SampleInterval || DashboardSpan > History)
        {
            yield return $"Mosaic:Observability:DashboardSpan must be within SampleInterval..{History}, got {DashboardSpan}";
        }

        if (NodeTimeout <= TimeSpan.Zero || NodeTimeout > TimeSpan.FromSeconds(30))
        {
            yield return $"Mosaic:Observability:NodeTimeout must be within 0..30 s, got {NodeTimeout}";
        }
    }
}
