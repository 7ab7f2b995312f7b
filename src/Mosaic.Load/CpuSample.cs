using System.Diagnostics;

namespace Mosaic.Load;

/// <summary>CPU times of the generator and the server at one moment; two samples give each one's CPU use over the window.</summary>
public readonly record struct CpuSample(long Timestamp, TimeSpan Self, TimeSpan? Server, Dictionary<int, long>? ServerWait, TimeSpan? Machine)
{
    public static CpuSample Take(int? serverPid) => new(Stopwatch.GetTimestamp(), ProcessCpu.Self(), ProcessCpu.Of(serverPid), ProcessCpu.RunQueueWait(serverPid), ProcessCpu.MachineBusy());

    /// <summary>
    /// Percent of one core used by the generator and by the server between <paramref name="start"/> and this sample, and
    /// the server's run-queue wait in percent of the wall time (100 = on average one server thread was ready but not running),
    /// and what every other process on the machine used (busy CPU from /proc/stat minus the two).
    /// </summary>
    public CpuUse Since(CpuSample start)
    {
        double wall = Math.Max(1e-9, Stopwatch.GetElapsedTime(start.Timestamp, Timestamp).TotalSeconds);
        double self = Math.Round((Self - start.Self).TotalSeconds / wall * 100, 1);
        double? server = Server is { } s && start.Server is { } s0 ? Math.Round((s - s0).TotalSeconds / wall * 100, 1) : null;
        double? wait = ServerWait is { } w && start.ServerWait is { } w0 ? Math.Round(ProcessCpu.RunQueueWaitBetween(w0, w).TotalSeconds / wall * 100, 1) : null;
        double? machine = Machine is { } m && start.Machine is { } m0 ? (m - m0).TotalSeconds / wall * 100 : null;
        double? others = machine is { } busy ? Math.Round(Math.Max(0, busy - self - (server ?? 0)), 1) : null;
        return new CpuUse(self, server, wait, others);
    }
}
