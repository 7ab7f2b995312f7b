using Mosaic.Testing;
using Xunit;

namespace Mosaic.IntegrationTests;

/// <summary>`mosaic plan`: the sizing, its formula and the measured constants it prints; bad input exits 2.</summary>
public sealed class CliPlanTests
{
    [Fact]
    public async Task Plan_prints_workers_shards_replicas_and_memory_with_the_formula()
    {
        using var dir = new TempDirectory("mosaic-plan");
        var run = await CliRun.RunAsync(["plan", "--docs", "20000000", "--dim", "384", "--qps", "2000", "--p99", "50", "--replicas", "2"], dir.Combine("plan.log"), TimeSpan.FromSeconds(60));
        Assert.True(run.ExitCode == 0, run.Describe());
        // 20M × (4·384 + 225 = 1761 B) × 2 = 65.6 GiB of graphs; 2000 × 2.58 ms / 1000 / 0.7 = 7.4 cores → 2 workers of 4;
        // memory: ceil(65.6 / 8) = 9 workers; shards max(ceil(20M / 5M), ceil(9 / 2)) = 5.
        Assert.Contains("1761 B/vector", run.Output, StringComparison.Ordinal);
        Assert.Contains("workers_cpu = ceil(7.4 / 4 cores) = 2", run.Output, StringComparison.Ordinal);
        Assert.Contains("workers = max(workers_cpu, workers_mem, replicas) = 9", run.Output, StringComparison.Ordinal);
        Assert.Contains("plan: 9 workers × 4 cores, 5 shards × 2 replicas", run.Output, StringComparison.Ordinal);

        var bad = await CliRun.RunAsync(["plan", "--docs", "0", "--dim", "384", "--qps", "10", "--p99", "50"], dir.Combine("bad.log"), TimeSpan.FromSeconds(60));
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--docs", bad.Output, StringComparison.Ordinal);
    }

    // NaN compared as neither positive nor not; Infinity and 1e308 saturated every count at int.MaxValue: each printed a
    // plan and exited 0.
    [Theory]
    [InlineData("--qps", "NaN")]
    [InlineData("--qps", "Infinity")]
    [InlineData("--p99", "NaN")]
    [InlineData("--memory-gb", "NaN")]
    [InlineData("--memory-gb", "Infinity")]
    public async Task Plan_refuses_a_figure_that_is_not_a_finite_number(string option, string value)
    {
        using var dir = new TempDirectory("mosaic-plan-nan");
        var args = new Dictionary<string, string> { ["--docs"] = "1000", ["--dim"] = "384", ["--qps"] = "10", ["--p99"] = "50", [option] = value };
        var run = await CliRun.RunAsync(["plan", .. args.SelectMany(a => new[] { a.Key, a.Value })], dir.Combine("plan.log"), TimeSpan.FromSeconds(60));
        Assert.True(run.ExitCode == 2, run.Describe());
        Assert.Contains("finite", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(run.Stdout, line => line.StartsWith("plan:", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("1000", "1e9")]
    [InlineData("9223372036854775807", "10")]
    public async Task Plan_past_the_shards_one_collection_takes_exits_2_naming_the_limit(string docs, string qps)
    {
        using var dir = new TempDirectory("mosaic-plan-huge");
        var run = await CliRun.RunAsync(["plan", "--docs", docs, "--dim", "384", "--qps", qps, "--p99", "50"], dir.Combine("plan.log"), TimeSpan.FromSeconds(60));
        Assert.True(run.ExitCode == 2, run.Describe());
        Assert.Contains("256 shards", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(run.Stdout, line => line.StartsWith("plan:", StringComparison.Ordinal));
    }
}
