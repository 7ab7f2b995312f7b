using System.Diagnostics;
using System.Globalization;

namespace Mosaic.Load;

/// <summary>CPU time of this process and (Linux) of another process by pid, read from /proc; plus the load average.</summary>
public static class ProcessCpu
{
    // USER_HZ is 100 on every mainstream Linux configuration; /proc/PID/stat counts in it.
    private const double ClockTicksPerSecond = 100;

    public static TimeSpan Self()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    /// <summary>utime + stime of <paramref name="pid"/>, or null when it cannot be read (not Linux, gone).</summary>
    public static TimeSpan? Of(int? pid)
    {
        if (pid is null || !OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the parenthesised command name: state is field 3, utime field 14, stime field 15.
            string[] rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            long ticks = long.Parse(rest[11], CultureInfo.InvariantCulture) + long.Parse(rest[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / ClockTicksPerSecond);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>
    /// Per thread of <paramref name="pid"/>, the nanoseconds it spent runnable but waiting for a CPU so far
    /// (/proc/PID/task/TID/schedstat field 2): how much other processes (or the generator) held the server back.
    /// Null when it cannot be read.
    /// </summary>
    /// <remarks>Kept per thread because a process-wide sum shrinks when threads exit; see <see cref="RunQueueWaitBetween"/>.</remarks>
    public static Dictionary<int, long>? RunQueueWait(int? pid)
    {
        if (pid is null || !OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            var waits = new Dictionary<int, long>();
            foreach (string task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    string[] fields = File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ');
                    waits[int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture)] = long.Parse(fields[1], CultureInfo.InvariantCulture);
                }
                catch (IOException)
                {
                    // The thread exited between listing and reading.
                }
            }

            return waits;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Run-queue wait accumulated between two samples by the threads alive at the second (new threads count from zero).</summary>
    public static TimeSpan RunQueueWaitBetween(Dictionary<int, long> start, Dictionary<int, long> end)
    {
        long nanos = 0;
        foreach (var (tid, wait) in end)
        {
            nanos += Math.Max(0, wait - start.GetValueOrDefault(tid));
        }

        return TimeSpan.FromTicks(nanos / 100);
    }

    /// <summary>Busy CPU time of the whole machine (user, nice, system, irq, softirq, steal from /proc/stat), or null.</summary>
    public static TimeSpan? MachineBusy()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            string? line = File.ReadLines("/proc/stat").FirstOrDefault(l => l.StartsWith("cpu ", StringComparison.Ordinal));
            if (line is null)
            {
                return null;
            }

            long[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();
            long busy = f[0] + f[1] + f[2] + f[5] + f[6] + (f.Length > 7 ? f[7] : 0);
            return TimeSpan.FromSeconds(busy / ClockTicksPerSecond);
        }
        catch (Exception ex) when (ex is IOException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    public static string? LoadAverage()
    {
        try
        {
            return OperatingSystem.IsLinux() ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
