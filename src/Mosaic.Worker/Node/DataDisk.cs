using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mosaic.Core.Placement;

namespace Mosaic.Worker.Node;

/// <summary>Reads the filesystem this node's shard files live on: free and total bytes, and the floor its options set.</summary>
/// <remarks>
/// <see cref="DriveInfo"/> of a directory is <c>statvfs</c> of it on Unix, so it measures whatever filesystem is mounted
/// there (a volume claim, a bind mount), not the root's. Before the shard directory exists (a node's first start), the
/// nearest directory above it is measured: that is where it will be made.
/// </remarks>
public sealed partial class DataDisk(IOptions<WorkerOptions> options, ILogger<DataDisk> logger)
{
    private readonly ILogger<DataDisk> _logger = logger;
    private volatile bool _failing;

    /// <summary>The disk now, or null when it cannot be read (logged once per run of failures).</summary>
    public NodeDisk? Measure()
    {
        var worker = options.Value;
        string path = Path.GetFullPath(worker.ShardDirectory);
        try
        {
            var drive = new DriveInfo(ExistingAncestor(path));
            long total = drive.TotalSize;
            long free = drive.AvailableFreeSpace;
            if (worker.DiskQuotaBytes > 0)
            {
                total = Math.Min(total, worker.DiskQuotaBytes);
                free = Math.Min(free, Math.Max(0, worker.DiskQuotaBytes - DirectoryBytes(path)));
            }

            var disk = new NodeDisk(free, total, worker.DiskFloor(total));
            _failing = false;
            return disk;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            if (!_failing)
            {
                _failing = true;
                LogUnreadable(ex, path);
            }

            return null;
        }
    }

    /// <summary>Bytes of the files under <paramref name="path"/> (0 before it exists); a file removed meanwhile counts 0.</summary>
    private static long DirectoryBytes(string path)
    {
        if (!Directory.Exists(path))
        {
            return 0;
        }

        long bytes = 0;
        foreach (var file in new DirectoryInfo(path).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true }))
        {
            try
            {
                bytes += file.Length;
            }
            catch (FileNotFoundException)
            {
                // Deleted between the listing and its size: a replica dropped or a snapshot replaced.
            }
        }

        return bytes;
    }

    private static string ExistingAncestor(string path)
    {
        for (string? dir = path; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (Directory.Exists(dir))
            {
                return dir;
            }
        }

        return path;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot read the free space of {Path}'s disk; it is reported unknown (placement then treats it as not low)")]
    private partial void LogUnreadable(Exception ex, string path);
}
