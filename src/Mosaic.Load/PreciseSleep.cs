using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Mosaic.Load;

/// <summary>Sleeps until a Stopwatch timestamp without spinning: nanosleep on Linux (wakes ~50-60 µs late, the default timer slack), Thread.Sleep elsewhere.</summary>
/// <remarks>
/// Spinning would be more punctual but would take a core from the server on a 2-core machine; the lateness that remains
/// is reported as dispatch lag and is counted in the open-loop latency (conservative, as wrk2 does).
/// </remarks>
public static unsafe partial class PreciseSleep
{
    public static void Until(long timestamp)
    {
        while (true)
        {
            long remaining = timestamp - Stopwatch.GetTimestamp();
            if (remaining <= 0)
            {
                return;
            }

            long nanos = (long)(remaining * (1e9 / Stopwatch.Frequency));
            if (OperatingSystem.IsLinux())
            {
                var request = new Timespec { Seconds = nanos / 1_000_000_000, Nanoseconds = nanos % 1_000_000_000 };
                Timespec left;
                _ = NanoSleep(&request, &left);
            }
            else
            {
                Thread.Sleep(TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, nanos / 100)));
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "nanosleep")]
    private static partial int NanoSleep(Timespec* request, Timespec* remaining);

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
