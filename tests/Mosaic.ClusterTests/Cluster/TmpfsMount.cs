using System.Globalization;
using Mosaic.Testing;

namespace Mosaic.ClusterTests.Cluster;

/// <summary>A small tmpfs mounted on a directory: a data disk of an exact size whose free space only its worker
/// changes (the machine's own disk moves by megabytes a second under parallel builds). Needs root, as the tests run.</summary>
public sealed class TmpfsMount : IAsyncDisposable
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(30);

    private TmpfsMount(string path) => Path = path;

    public string Path { get; }

    public static async Task<TmpfsMount> MountAsync(string path, long bytes)
    {
        Directory.CreateDirectory(path);
        var r = await ChildProcess.RunAsync("mount", ["-t", "tmpfs", "-o", "size=" + bytes.ToString(CultureInfo.InvariantCulture), "tmpfs", path], ToolTimeout);
        return r.ExitCode == 0 ? new TmpfsMount(path) : throw new InvalidOperationException($"mount -t tmpfs on {path} failed ({r.ExitCode}; the test needs root): {r.Output}");
    }

    /// <summary>Lazily: the worker may still have files open until the cluster is torn down.</summary>
    public async ValueTask DisposeAsync() => await ChildProcess.RunAsync("umount", ["-l", Path], ToolTimeout);
}
