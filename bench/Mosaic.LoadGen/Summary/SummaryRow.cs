namespace Mosaic.LoadGen.Summary;

/// <summary>One row of the pipeline summary: a phase (import, search, restart), what ran, its rate and latency, and notes.</summary>
internal sealed record SummaryRow(string Phase, string Run, string Rate, double? P50Ms, double? P99Ms, string Detail);
