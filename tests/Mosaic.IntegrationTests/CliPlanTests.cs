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
}
