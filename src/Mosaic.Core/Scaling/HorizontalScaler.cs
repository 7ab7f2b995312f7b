namespace Mosaic.Core.Scaling;

/// <summary>
/// The Kubernetes HorizontalPodAutoscaler algorithm for one role: desired = ceil(current × value ÷ target) for each
/// metric (the largest wins; a ratio within the tolerance proposes no change), then the stabilization windows (scaling
/// up takes the lowest recommendation of its window, scaling down the highest of its), then the rate policies, then
/// min/max.
/// </summary>
/// <remarks>
/// Rate policies count from the replica count at the start of each policy's period: HPA knows it from its own actions;
/// an advisor sees only the observed count, so every change of <c>current</c> between calls is recorded as a scale
/// event dated at the previous call (the advice it followed). Memory is bounded: recommendations and events older than the longest window or period are dropped.
/// </remarks>
public sealed class HorizontalScaler(ScalerOptions options, TimeProvider time)
{
    private readonly List<(DateTimeOffset At, int Replicas)> _recommendations = [];
    private readonly List<(DateTimeOffset At, int Delta)> _events = [];
    private int? _lastCurrent;
    private DateTimeOffset _lastAt;

    public ScalerOptions Options => options;

    /// <summary>The recommendation for <paramref name="current"/> replicas whose metrics are <paramref name="metrics"/>.</summary>
    public ScalingDecision Recommend(int current, IReadOnlyList<MetricRatio> metrics)
    {
        var now = time.GetUtcNow();
        if (_lastCurrent is int last && last != current)
        {
            // Dated at the previous evaluation: the change followed that advice, as HPA dates a scale event at its action.
            _events.Add((_lastAt, current - last));
        }

        _lastCurrent = current;
        _lastAt = now;
        Forget(now);

        int basis = Math.Max(1, current);
        var proposals = metrics.Select(m => (Metric: m, Replicas: Propose(m, current, basis))).ToList();
        int raw = Math.Clamp(proposals.Count == 0 ? current : proposals.Max(p => p.Replicas), options.MinReplicas, options.MaxReplicas);
        var driver = raw == current || proposals.Count == 0 ? null : proposals.OrderByDescending(p => p.Replicas).ThenByDescending(p => p.Metric.Ratio).First().Metric;
        _recommendations.Add((now, raw));

        int up = Within(options.ScaleUp.StabilizationWindow, now).Min();
        int down = Within(options.ScaleDown.StabilizationWindow, now).Max();
        int stabilized = current;
        if (stabilized < up)
        {
            stabilized = up;
        }

        if (stabilized > down)
        {
            stabilized = down;
        }

        int desired = stabilized;
        string limitNote = "";
        if (stabilized > current)
        {
            int limit = UpLimit(current, now);
            if (limit < stabilized)
            {
                desired = Math.Max(current, limit);
                limitNote = $"; scale-up policy ({string.Join(", ", options.ScaleUp.Policies)}, select {options.ScaleUp.SelectPolicy}) allows {desired} now";
            }
        }
        else if (stabilized < current)
        {
            int limit = DownLimit(current, now);
            if (limit > stabilized)
            {
                desired = Math.Min(current, limit);
                limitNote = $"; scale-down policy ({string.Join(", ", options.ScaleDown.Policies)}, select {options.ScaleDown.SelectPolicy}) allows {desired} now";
            }
        }

        desired = Math.Clamp(desired, options.MinReplicas, options.MaxReplicas);
        return new ScalingDecision(current, raw, stabilized, desired, driver, Explain(current, basis, metrics, raw, stabilized, up, down) + limitNote);
    }

    // A ratio within the tolerance proposes no change at all (HPA), so noise around the target never moves the count.
    private int Propose(MetricRatio metric, int current, int basis) =>
        Math.Abs(metric.Ratio - 1) <= options.Tolerance ? current : (int)Math.Ceiling((basis * metric.Ratio) - 1e-9);

    private string Explain(int current, int basis, IReadOnlyList<MetricRatio> metrics, int raw, int stabilized, int up, int down)
    {
        var parts = metrics.Select(m => Math.Abs(m.Ratio - 1) <= options.Tolerance
            ? $"{m}: ratio {m.Ratio:0.00} within the {options.Tolerance:P0} tolerance"
            : $"{m}: ceil({basis} × {m.Ratio:0.00}) = {Propose(m, current, basis)}").ToList();
        string text = (parts.Count == 0 ? "no metric" : string.Join("; ", parts)) + $" → {raw} (within {options.MinReplicas}..{options.MaxReplicas})";
        if (stabilized != raw)
        {
            text += stabilized == current && raw < current
                ? $"; held at {current}: scale-down stabilization window {options.ScaleDown.StabilizationWindow.TotalSeconds:0} s saw up to {down}"
                : stabilized == current && raw > current
                    ? $"; held at {current}: scale-up stabilization window {options.ScaleUp.StabilizationWindow.TotalSeconds:0} s saw as low as {up}"
                    : $"; stabilized to {stabilized} (windows: up {options.ScaleUp.StabilizationWindow.TotalSeconds:0} s min {up}, down {options.ScaleDown.StabilizationWindow.TotalSeconds:0} s max {down})";
        }

        return text;
    }

    private IEnumerable<int> Within(TimeSpan window, DateTimeOffset now) =>
        _recommendations.Where((r, i) => i == _recommendations.Count - 1 || r.At > now - window).Select(r => r.Replicas);

    private int UpLimit(int current, DateTimeOffset now)
    {
        var rules = options.ScaleUp;
        if (rules.SelectPolicy == SelectPolicy.Disabled)
        {
            return current;
        }

        var limits = rules.Policies.Select(p =>
        {
            int start = PeriodStart(current, p.Period, now);
            return p.Type == ScalingPolicyType.Pods ? start + p.Value : (int)Math.Ceiling(start * (1 + (p.Value / 100.0)));
        }).ToList();
        return rules.SelectPolicy == SelectPolicy.Max ? limits.Max() : limits.Min();
    }

    private int DownLimit(int current, DateTimeOffset now)
    {
        var rules = options.ScaleDown;
        if (rules.SelectPolicy == SelectPolicy.Disabled)
        {
            return current;
        }

        var limits = rules.Policies.Select(p =>
        {
            int start = PeriodStart(current, p.Period, now);
            return p.Type == ScalingPolicyType.Pods ? start - p.Value : (int)(start * (1 - (p.Value / 100.0)));
        }).ToList();
        // "Max" selects the policy allowing the largest change: the lowest floor.
        return rules.SelectPolicy == SelectPolicy.Max ? limits.Min() : limits.Max();
    }

    // The replica count when the period began: changes observed within it are undone.
    private int PeriodStart(int current, TimeSpan period, DateTimeOffset now) => current - _events.Where(e => e.At > now - period).Sum(e => e.Delta);

    private void Forget(DateTimeOffset now)
    {
        var keep = new[] { options.ScaleUp.StabilizationWindow, options.ScaleDown.StabilizationWindow }
            .Concat(options.ScaleUp.Policies.Concat(options.ScaleDown.Policies).Select(p => p.Period)).Max();
        _recommendations.RemoveAll(r => r.At <= now - keep);
        _events.RemoveAll(e => e.At <= now - keep);
    }
}
