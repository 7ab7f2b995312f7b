using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Mosaic.Contracts;
using Mosaic.Hosting.Advice;
using Mosaic.Hosting.Observability;
using Mosaic.Tests.Observability;
using Xunit;

namespace Mosaic.Tests.Scaling;

/// <summary>The advisor over replayed cluster samples on a fake clock: roles, shards and rates, each with its numbers.</summary>
public sealed class AdvisorTests
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(5);

    [Fact]
    public void Busy_workers_get_more_workers_then_a_quiet_spell_scales_down_only_after_the_window()
    {
        var time = new FakeTimeProvider();
        using var metrics = TestMeters.NewMetrics();
        var options = new AdviceOptions { Window = TimeSpan.FromSeconds(30) };
        var advisor = new Advisor(Options.Create(options), metrics, time);
        var history = new List<ClusterSample>();
        AdviceResponse advice = null!;
        for (int i = 0; i < 6; i++)
        {
            history.Add(Sample(time, workerCpu: 0.95, coordinatorCpu: 0.30, partial: 0));
            advice = advisor.Evaluate(history);
            time.Advance(Step);
        }

        var workers = advice.Roles.Single(r => r.Role == "worker");
        // ceil(2 × 0.95 / 0.70) = 3.
        Assert.Equal((2, 3), (workers.Current, workers.Desired));
        var add = Assert.Single(advice.Recommendations, r => r.Action == "add_workers");
        Assert.Equal(1, add.Count);
        Assert.Contains("cpu 95 % vs target 70 %", add.Reason, StringComparison.Ordinal);
        Assert.Contains("ceil(2 × 1.36) = 3", add.Reason, StringComparison.Ordinal);
        // Coordinators at 30 % of a 70 % target want ceil(1 × 0.43) = 1: they are at 1 already.
        Assert.Equal(1, advice.Roles.Single(r => r.Role == "coordinator").Desired);

        // Quiet: worker CPU 10 % (nobody added the worker). Held at the 2 there are by the 300 s scale-down window, then 1.
        history.Clear();
        var quietFrom = time.GetUtcNow();
        var lastBusy = quietFrom - Step;
        var seen = new List<(TimeSpan After, int Desired)>();
        for (int i = 0; i < 70; i++)
        {
            history.Add(Sample(time, workerCpu: 0.10, coordinatorCpu: 0.30, partial: 0));
            var w = advisor.Evaluate(history.TakeLast(6).ToList()).Roles.Single(r => r.Role == "worker");
            seen.Add((time.GetUtcNow() - lastBusy, w.Desired));
            time.Advance(Step);
        }

        Assert.All(seen.Where(s => s.After < TimeSpan.FromMinutes(5)), s => Assert.Equal(2, s.Desired));
        Assert.Equal(1, seen[^1].Desired);
    }

    [Fact]
    public void Big_and_hot_shards_and_partial_answers_are_named_with_their_numbers()
    {
        var time = new FakeTimeProvider();
        using var metrics = TestMeters.NewMetrics();
        var advisor = new Advisor(Options.Create(new AdviceOptions { SplitShardDocs = 1000 }), metrics, time);
        var advice = advisor.Evaluate([Sample(time, workerCpu: 0.5, coordinatorCpu: 0.5, partial: 30)]);

        var split = Assert.Single(advice.Recommendations, r => r.Action == "split_shard");
        Assert.Equal(("products", 1), (split.Collection, split.Shard));
        Assert.Contains("5,000 documents (threshold 1,000)", split.Reason, StringComparison.Ordinal);
        var hot = Assert.Single(advice.Recommendations, r => r.Action == "add_replica");
        Assert.Equal(2, hot.Shard);
        // Shard 2 is on w1; w2 is the worker without it.
        Assert.Equal("w2", hot.Node);
        Assert.Contains("90 searches/s", hot.Reason, StringComparison.Ordinal);
        Assert.Contains("PATCH /collections/products {\"replicas\": 2}", hot.Reason, StringComparison.Ordinal);
        var partial = Assert.Single(advice.Recommendations, r => r.Action == "investigate_partial");
        Assert.Contains("30 of 100", partial.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Hot_shard_searches_are_averaged_over_the_window_as_the_coordinators_searches_are()
    {
        // A replica reports its last 2 s; the coordinators' searches cover the whole window. Shard 2 served 150/s, then 30/s:
        // over the window that is 90/s, hot next to its siblings' 10/s; the last report alone (30/s) would not be.
        var time = new FakeTimeProvider();
        using var metrics = TestMeters.NewMetrics();
        var advisor = new Advisor(Options.Create(new AdviceOptions()), metrics, time);
        var first = Sample(time, workerCpu: 0.5, coordinatorCpu: 0.5, partial: 0, hotQps: 150);
        time.Advance(Step);
        var advice = advisor.Evaluate([first, Sample(time, workerCpu: 0.5, coordinatorCpu: 0.5, partial: 0, hotQps: 30)]);
        var hot = Assert.Single(advice.Recommendations, r => r.Action == "add_replica");
        Assert.Equal(2, hot.Shard);
        Assert.Contains("90 searches/s", hot.Reason, StringComparison.Ordinal);

        var lastOnly = new Advisor(Options.Create(new AdviceOptions()), metrics, time).Evaluate([Sample(time, workerCpu: 0.5, coordinatorCpu: 0.5, partial: 0, hotQps: 30)]);
        Assert.DoesNotContain(lastOnly.Recommendations, r => r.Action == "add_replica");
    }

    private static ClusterSample Sample(FakeTimeProvider time, double workerCpu, double coordinatorCpu, long partial, double hotQps = 90)
    {
        var nodes = new List<NodeResponse>
        {
            new("c1", "coordinator", "http://c1", "alive"),
            new("w1", "worker", "http://w1", "alive", ShardsHeld: 2, Weight: 10),
            new("w2", "worker", "http://w2", "alive", ShardsHeld: 1, Weight: 5),
        };
        var shards = new List<ClusterShardResponse>
        {
            new(0, "[0,341)", "serving", [new ReplicaResponse("w1", "serving", 0, 900, 1000, Qps: 10)]),
            new(1, "[341,682)", "serving", [new ReplicaResponse("w2", "serving", 0, 5000, 1000, Qps: 10)]),
            new(2, "[682,1024)", "serving", [new ReplicaResponse("w1", "serving", 0, 900, 1000, Qps: hotQps)]),
        };
        var cluster = new ClusterResponse(nodes, [new ClusterCollectionResponse("products", 1, shards)], 1, 1.2);
        var api = SignalWindow.Empty(Step) with { Searches = 100, Partial = partial, Requests = 100 };
        var samples = nodes.Select(n => new NodeSample(n, SignalWindow.Empty(Step) with { CpuUtilization = n.Role == "worker" ? workerCpu : coordinatorCpu }, 1 << 20)).ToList();
        return new ClusterSample(time.GetUtcNow(), cluster, samples, api);
    }
}
