namespace Mosaic.Core.Placement;

/// <summary>A shard-holding node's data disk as it last reported with its lease: the filesystem its shard files are on.</summary>
/// <remarks>
/// <see cref="FreeBytes"/> is what an unprivileged process may still write (statvfs <c>f_bavail</c>, not counting blocks
/// the filesystem reserves for root). <see cref="FloorBytes"/> is the node's own floor, so nodes with different disks
/// and settings are judged by what each was told; 0 means it is never low.
/// </remarks>
public sealed record NodeDisk(long FreeBytes, long TotalBytes, long FloorBytes)
{
    /// <summary>True when free space is below the floor: placement gives the node no new replicas.</summary>
    public bool Low => FreeBytes < FloorBytes;
}
