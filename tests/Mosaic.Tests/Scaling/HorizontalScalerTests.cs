using Microsoft.Extensions.Time.Testing;
using Mosaic.Core.Scaling;
using Xunit;

namespace Mosaic.Tests.Scaling;

/// <summary>
/// The HPA algorithm replayed over signal series on a fake clock, one evaluation every 15 s (HPA's sync period), with the
/// replica count following the advice as an autoscaler would.
/// </summary>
public sealed class HorizontalScalerTests
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(15);

    [Theory]
    [InlineData(1.08, 10)]
    [InlineData(0.92, 10)]
    [InlineData(1.12, 12)]
    [InlineData(2.5, 25)]
    public void Desired_is_ceil_of_current_times_ratio_outside_the_tolerance(double ratio, int expected)
    {
        var scaler = new HorizontalScaler(new ScalerOptions { ScaleUp = ScalingRules.DefaultUp with { Policies = [new ScalingPolicy { Value = 1000 }] } }, new FakeTimeProvider());
        var decision = scaler.Recommend(10, [new MetricRatio("cpu", 0.7 * ratio, 0.7, "%")]);
        Assert.Equal(expected, decision.Raw);
        Assert.Equal(expected, decision.Desired);
        Assert.Contains("cpu", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_metric_asking_for_most_replicas_wins()
    {
        var scaler = new HorizontalScaler(new ScalerOptions(), new FakeTimeProvider());
        var decision = scaler.Recommend(4, [new MetricRatio("cpu", 0.35, 0.7, "%"), new MetricRatio("p99", 150, 100, "ms")]);
        Assert.Equal(6, decision.Desired);
        Assert.Equal("p99", decision.Driver!.Name);
        Assert.Contains("ceil(4 × 1.50) = 6", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_load_that_comes_and_goes_scales_up_at_once_and_never_flaps_down_inside_the_stabilization_window()
    {
        var time = new FakeTimeProvider();
        var scaler = new HorizontalScaler(new ScalerOptions(), time);
        int current = 2;
        var history = new List<(TimeSpan At, bool Busy, int Desired)>();
        var start = time.GetUtcNow();
        // 8 minutes: CPU alternates between twice the target and a quarter of it every 30 s, then 10 quiet minutes.
        for (int i = 0; i < 72; i++)
        {
            var at = time.GetUtcNow() - start;
            bool busy = at < TimeSpan.FromMinutes(8) && (int)(at.TotalSeconds / 30) % 2 == 0;
            // CPU per replica falls as replicas are added: the load is fixed, not the per-node figure.
            double load = busy ? 2 * 0.7 * 2 : 0.25 * 0.7 * 2;
            var decision = scaler.Recommend(current, [new MetricRatio("cpu", load / current, 0.7, "%")]);
            history.Add((at, busy, decision.Desired));
            current = decision.Desired;
            time.Advance(Step);
        }

        // Up at once: the first busy evaluation doubles the count.
        Assert.Equal(4, history[0].Desired);
        // Inside the busy/quiet alternation nothing ever goes down: every quiet dip lies within 300 s of a busy peak.
        var alternating = history.Where(h => h.At < TimeSpan.FromMinutes(8)).Select(h => h.Desired).ToList();
        Assert.True(alternating.Zip(alternating.Skip(1)).All(p => p.Second >= p.First), "no scale-down while load returns within the window: " + string.Join(",", alternating));
        // Down only once the last busy recommendation has left the 5-minute window, and then at the first evaluation after.
        var lastBusy = history.Last(h => h.Busy).At;
        var firstDown = history.First(h => h.Desired < 4);
        Assert.True(firstDown.At >= lastBusy + TimeSpan.FromMinutes(5), $"first scale-down at {firstDown.At}, last busy {lastBusy}");
        Assert.True(firstDown.At <= lastBusy + TimeSpan.FromMinutes(5) + Step, $"first scale-down at {firstDown.At}, last busy {lastBusy}");
        Assert.Equal(1, history[^1].Desired);
    }

    [Fact]
    public void Scale_up_and_scale_down_follow_the_rate_policies_per_period()
    {
        var time = new FakeTimeProvider();
        var options = new ScalerOptions
        {
            MaxReplicas = 200,
            ScaleUp = ScalingRules.DefaultUp,
            // At most 2 pods per minute down, after a 60 s window.
            ScaleDown = new ScalingRules { StabilizationWindow = TimeSpan.FromSeconds(60), Policies = [new ScalingPolicy { Type = ScalingPolicyType.Pods, Value = 2, Period = TimeSpan.FromMinutes(1) }] },
        };
        var scaler = new HorizontalScaler(options, time);
        int current = 1;
        var counts = new List<(DateTimeOffset At, int Replicas)> { (time.GetUtcNow(), current) };
        // A load worth 100 replicas at the target.
        for (int i = 0; i < 12; i++)
        {
            current = scaler.Recommend(current, [new MetricRatio("qps", 100.0 / current, 1)]).Desired;
            time.Advance(Step);
            counts.Add((time.GetUtcNow(), current));
        }

        // Each 15 s period at most max(+100 %, +4 pods) over the count it started with: 1 → 5 → 10 → 20 → 40 → 80 → 100.
        Assert.Equal([1, 5, 10, 20, 40, 80, 100, 100], counts.Take(8).Select(c => c.Replicas));
        for (int i = 1; i < counts.Count; i++)
        {
            int before = counts[i - 1].Replicas;
            Assert.True(counts[i].Replicas <= Math.Max(2 * before, before + 4), $"step {i}: {before} → {counts[i].Replicas}");
        }

        // The load falls to what 10 replicas carry: nothing for 60 s, then at most 2 fewer per minute.
        var down = new List<(DateTimeOffset At, int Replicas)>();
        var fell = time.GetUtcNow();
        for (int i = 0; i < 24; i++)
        {
            current = scaler.Recommend(current, [new MetricRatio("qps", 10.0 / current, 1)]).Desired;
            down.Add((time.GetUtcNow(), current));
            time.Advance(Step);
        }

        // The last recommendation of 100 was made one step before the fall: it holds the count for the 60 s window.
        var lastHigh = fell - Step;
        Assert.All(down.Where(d => d.At < lastHigh + TimeSpan.FromSeconds(60)), d => Assert.Equal(100, d.Replicas));
        Assert.True(down.First(d => d.Replicas < 100).At >= lastHigh + TimeSpan.FromSeconds(60));
        foreach (var d in down)
        {
            int minuteAgo = down.Where(e => e.At <= d.At - TimeSpan.FromMinutes(1)).Select(e => e.Replicas).LastOrDefault(100);
            Assert.True(minuteAgo - d.Replicas <= 2, $"{minuteAgo} → {d.Replicas} within a minute at {d.At - fell}");
        }

        Assert.True(down[^1].Replicas < 100, "it does scale down after the window");
    }
}
