using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Mosaic.ClusterTests.Cluster;

/// <summary>POSIX signals to a child process: hang it (SIGSTOP) and let it go on (SIGCONT).</summary>
/// <remarks>Linux numbering (x86-64 and arm64 agree on these). SIGTERM goes through <c>MosaicProcess.StopAsync</c>, SIGKILL through <c>Process.Kill</c>.</remarks>
internal static partial class Signals
{
    public const int Cont = 18;
    public const int Stop = 19;

    public static void Send(int pid, int signal)
    {
        if (kill(pid, signal) != 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), $"kill({pid}, {signal}) failed");
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);
}
