namespace Mosaic.Core.Scaling;

/// <summary>What a <see cref="HorizontalScaler"/> recommends now and why.</summary>
/// <param name="Raw">ceil(current × value ÷ target) of the metric asking for the most (current within the tolerance).</param>
/// <param name="Stabilized">After the stabilization windows.</param>
/// <param name="Desired">After the rate policies and the min/max bounds: the recommendation.</param>
/// <param name="Driver">The metric that set <paramref name="Raw"/>; null when none was outside the tolerance.</param>
/// <param name="Reason">The arithmetic, with the numbers.</param>
public sealed record ScalingDecision(int Current, int Raw, int Stabilized, int Desired, MetricRatio? Driver, string Reason);
