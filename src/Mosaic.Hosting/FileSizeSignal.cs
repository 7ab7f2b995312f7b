using System.Runtime.InteropServices;

namespace Mosaic.Hosting;

/// <summary>Turns SIGXFSZ (a write past the process's file-size limit, RLIMIT_FSIZE) into a failed write, not a dead node.</summary>
/// <remarks>
/// PostgreSQL ignores the signal for the same reason. The write then fails with EFBIG and is handled as a full disk is:
/// the store refuses the request (nothing of it kept), a replica retries its batch, and the node goes on serving reads.
/// </remarks>
public static class FileSizeSignal
{
    private const int SigXfsz = 25; // the same number on Linux (x86, arm) and macOS

    /// <summary>Handles the signal until the returned registration is disposed (null where there are no such signals).</summary>
    public static IDisposable? Handle() => OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()
        ? PosixSignalRegistration.Create((PosixSignal)SigXfsz, static context => context.Cancel = true)
        : null;
}
