namespace Mosaic.Core.Scaling;

/// <summary>One metric a replica count is scaled on: its current value (averaged per replica, like HPA's
/// <c>AverageValue</c> and <c>Utilization</c> targets) against its target.</summary>
/// <param name="Unit">How to print the numbers ("%" multiplies by 100, "ms", "/s", ...).</param>
public sealed record MetricRatio(string Name, double Value, double Target, string Unit = "")
{
    public double Ratio => Target <= 0 ? 1 : Value / Target;

    public override string ToString() => $"{Name} {Format(Value)} vs target {Format(Target)}";

    private string Format(double v) => Unit == "%" ? $"{v * 100:0.#} %" : $"{v:0.##}{(Unit.Length == 0 ? "" : (Unit.StartsWith('/') ? "" : " ") + Unit)}";
}
