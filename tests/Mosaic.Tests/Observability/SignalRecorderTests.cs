using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Mosaic.Core.Observability;
using Mosaic.Hosting.Observability;
using Xunit;

namespace Mosaic.Tests.Observability;

/// <summary>The per-second ring behind /signals: windows of complete seconds, exact-second windows, CPU, own meter only.</summary>
public sealed class SignalRecorderTests
{
    [Fact]
    public void Windows_count_complete_seconds_once_and_read_cpu_over_wall_time()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_000_000));
        var cpu = TimeSpan.Zero;
        // Each its own factory, as each app's container has (one factory hands the same meter to every caller).
        using var meters = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var otherMeters = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var metrics = new MosaicMetrics(meters.GetRequiredService<IMeterFactory>());
        using var other = new MosaicMetrics(otherMeters.GetRequiredService<IMeterFactory>());
        using var recorder = new SignalRecorder(metrics, time, () => cpu);
        long start = time.GetUtcNow().ToUnixTimeSeconds();

        for (int second = 0; second < 4; second++)
        {
            for (int i = 0; i <= second; i++)
            {
                metrics.RecordSearch("c", i == 0 && second == 3 ? "partial" : "complete", TimeSpan.FromMilliseconds(2));
                metrics.RecordCacheLookup("search", hit: i % 2 == 0);
                // Another app's meter in the same process is not this recorder's business.
                other.RecordSearch("c", "complete", TimeSpan.FromMilliseconds(2));
            }

            cpu += TimeSpan.FromSeconds(0.5 * SignalRecorder.Cores);
            time.Advance(TimeSpan.FromSeconds(1));
        }

        // Seconds start..start+3 hold 1, 2, 3, 4 searches; the current second (start+4) is not complete yet.
        var last2 = recorder.Window(TimeSpan.FromSeconds(2));
        Assert.Equal(7, last2.Searches);
        Assert.Equal(1, last2.Partial);
        Assert.Equal(2, last2.Length.TotalSeconds);
        Assert.Equal(3.5, last2.Qps);
        Assert.Equal(0.5, last2.CpuUtilization!.Value, 3);
        Assert.Equal(4, last2.CacheHits);
        Assert.InRange(last2.P99Ms!.Value, 2, 2 * 1.15);

        // Two consecutive exact windows add up to the whole, with no second counted twice.
        var first = recorder.Window(start, start + 1);
        var second2 = recorder.Window(start + 2, start + 3);
        Assert.Equal(3, first.Searches);
        Assert.Equal(10, first.Searches + second2.Searches);
        Assert.Equal(10, SignalWindow.Merge([first, second2], consecutive: true).Searches);
        Assert.Equal(4, SignalWindow.Merge([first, second2], consecutive: true).Length.TotalSeconds);

        // Quiet time passes: the ring forgets, and the rate falls to zero.
        time.Advance(TimeSpan.FromSeconds(SignalRecorder.Seconds));
        var quiet = recorder.Window(TimeSpan.FromSeconds(60));
        Assert.Equal(0, quiet.Searches);
        Assert.Null(quiet.P50Ms);
    }

    [Fact]
    public void Merged_windows_of_several_nodes_add_their_latency_buckets()
    {
        var fast = SignalWindow.Empty(TimeSpan.FromSeconds(5)) with { Searches = 99, Latency = Buckets((1.0, 99)), CpuUtilization = 0.2 };
        var slow = SignalWindow.Empty(TimeSpan.FromSeconds(5)) with { Searches = 1, Latency = Buckets((500.0, 1)), CpuUtilization = 0.6 };
        var both = SignalWindow.Merge([fast, slow]);
        Assert.Equal(100, both.Searches);
        Assert.Equal(20, both.Qps);
        Assert.Equal(0.4, both.CpuUtilization!.Value, 6);
        Assert.InRange(both.P50Ms!.Value, 1, 1.15);
        Assert.InRange(both.P99Ms!.Value, 1, 1.15);
        Assert.InRange(LatencyBuckets.Quantile(both.Latency, 1.0)!.Value, 500, 500 * 1.15);
    }

    private static long[] Buckets(params (double Ms, long Count)[] values)
    {
        var buckets = new long[LatencyBuckets.Count];
        foreach (var (ms, count) in values)
        {
            buckets[LatencyBuckets.Of(ms)] += count;
        }

        return buckets;
    }
}
