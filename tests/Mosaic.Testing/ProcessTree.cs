using System.Diagnostics;
using System.Globalization;

namespace Mosaic.Testing;

/// <summary>A process and all its descendants, found through /proc (Linux): for crashing a daemon that forks workers.</summary>
/// <remarks>
/// A daemon such as the PostgreSQL postmaster is not our child (pg_ctl detaches it), so <c>Process.Kill(true)</c> from
/// here cannot see its tree. A killed process that nobody reaps stays a zombie; it counts as gone.
/// </remarks>
public static class ProcessTree
{
    /// <summary>True while <paramref name="pid"/> runs (exists and is not a zombie).</summary>
    public static bool IsAlive(int pid)
    {
        string? stat = ReadStat(pid);
        return stat is not null && State(stat) is not ('Z' or 'X');
    }

    /// <summary>SIGKILL to the process first (so it forks nothing new), then to each descendant; waits until all are gone.</summary>
    public static async Task KillAsync(int pid, TimeSpan timeout)
    {
        var victims = KillNow(pid);
        await Wait.WaitUntilAsync(() => victims.All(v => !IsAlive(v)), timeout, $"process {pid} and its {victims.Count - 1} descendants exit after SIGKILL").ConfigureAwait(false);
    }

    /// <summary>SIGKILL to the process and its descendants without waiting; returns every pid signalled.</summary>
    public static List<int> KillNow(int pid)
    {
        var victims = new List<int> { pid };
        victims.AddRange(Descendants(pid));
        foreach (var victim in victims)
        {
            try
            {
                using var process = Process.GetProcessById(victim);
                process.Kill();
            }
            catch (ArgumentException)
            {
                // Already gone.
            }
            catch (InvalidOperationException)
            {
                // Exited between the look-up and the kill.
            }
        }

        return victims;
    }

    /// <summary>Every live process below <paramref name="pid"/>, from a scan of /proc.</summary>
    public static List<int> Descendants(int pid)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int child) || ReadStat(child) is not { } stat)
            {
                continue;
            }

            int parent = ParentOf(stat);
            if (!children.TryGetValue(parent, out var list))
            {
                children[parent] = list = [];
            }

            list.Add(child);
        }

        var found = new List<int>();
        var queue = new Queue<int>([pid]);
        while (queue.TryDequeue(out int next))
        {
            foreach (int child in children.GetValueOrDefault(next) ?? [])
            {
                found.Add(child);
                queue.Enqueue(child);
            }
        }

        return found;
    }

    private static string? ReadStat(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    // /proc/PID/stat is "pid (comm) state ppid …"; comm may hold spaces and parentheses, so parse after the last ')'.
    private static char State(string stat) => stat[stat.LastIndexOf(')') + 2];

    private static int ParentOf(string stat)
    {
        var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ', 3);
        return int.Parse(rest[1], CultureInfo.InvariantCulture);
    }
}
