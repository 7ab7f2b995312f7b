namespace Mosaic.Worker;

/// <summary>Settings of the worker role (shard replicas), bound from configuration section "Mosaic:Worker".</summary>
public sealed record WorkerOptions
{
    /// <summary>Where shard files live; the host sets it under the data directory.</summary>
    public string ShardDirectory { get; init; } = "shards";

    /// <summary>How long a tailer sleeps without a wake-up before it checks the log anyway (polling fallback).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Most changes applied in one shard-file transaction.</summary>
    public int ApplyBatchSize { get; init; } = 2000;

    /// <summary>Vector changes since the last HNSW snapshot after which an idle replica writes a new one.</summary>
    public int SnapshotAfterChanges { get; init; } = 5000;

    /// <summary>
    /// A replica also waits for changes amounting to this fraction of its rows before it snapshots (0 = off). A snapshot
    /// during bulk inserts rewrites much of the graph (each insert re-links ~20 random nodes, so a delta touched 50-95 %
    /// of the chunks at 150k rows per shard, 25 % at 500k); at a fixed 5,000 changes a 1M x 128-d import wrote 139
    /// snapshots, 8.9 GB, with a tenth 41, 2.7 GB (bench/README.md, seventh sitting). A snapshot writes at most the
    /// graph, so this bounds the bytes per change at any size; a kill -9 leaves at most a tenth of the rows (or
    /// SnapshotAfterChanges) to repair from the shard file at the next open.
    /// </summary>
    public double SnapshotGraphFraction { get; init; } = 0.1;

    /// <summary>Threads used to rebuild one shard's graph from its file (0 = one: shards already open in parallel, and the
    /// parallel build still loses a node about once in 40k inserts on 8-d clustered data — see ParallelBuildReachabilityTests).</summary>
    public int BuildThreads { get; init; }

    /// <summary>
    /// Filtered vector queries whose allowed set has at most this many floats (rows × dimension) are answered by an
    /// exact scan: about 2M floats is ~8 MB, well under a millisecond of bandwidth, and exact beats a graph walk that
    /// must skip most nodes.
    /// </summary>
    public long ExactScanFloats { get; init; } = 2_000_000;

    /// <summary>
    /// The most indexing a replica may have ahead of it (changes in the log it has not applied, in seconds of its recent
    /// apply rate) before writes to its collection in this process wait: what is acknowledged becomes searchable within
    /// about this long. Zero turns the wait off.
    /// </summary>
    public TimeSpan MaxIndexBacklog { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest a write waits for the backlog to shrink; then it goes ahead (a stuck replica must not stop
    /// writes; it shows in the shard's lag).</summary>
    public TimeSpan MaxBacklogWait { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Free bytes on the shard files' disk below which this node counts as "disk low": placement gives it no new replicas
    /// (those it holds stay). The floor is the larger of this and <see cref="DiskFloorFraction"/> of the disk; 0 and 0
    /// turn it off. 1 GiB: a shard's graph snapshot is rewritten beside the old one before it replaces it, and SQLite's
    /// WAL grows between checkpoints, so a node needs room beyond what its replicas hold just to keep applying the log.
    /// </summary>
    public long DiskFloorBytes { get; init; } = 1L << 30;

    /// <summary>
    /// The floor as a fraction of the disk's size (see <see cref="DiskFloorBytes"/>). 5 %: on a large disk 1 GiB is a
    /// few minutes of a bulk load; this keeps the headroom in proportion, as ext4's 5 % root reserve does (which is not
    /// counted as free here, so the two add up).
    /// </summary>
    public double DiskFloorFraction { get; init; } = 0.05;

    /// <summary>
    /// Most bytes this node's shard files may take on their disk; 0 (the default) = the whole disk. For a node that
    /// shares its disk (other services, other nodes on one volume): it then reports the quota as its disk's size and the
    /// quota less what its shard directory holds as free (never more than the disk really has), so the floor and
    /// placement's room apply to its share.
    /// </summary>
    public long DiskQuotaBytes { get; init; }

    /// <summary>The floor for a disk of <paramref name="totalBytes"/>.</summary>
    public long DiskFloor(long totalBytes) => Math.Max(DiskFloorBytes, (long)(DiskFloorFraction * totalBytes));

    public IEnumerable<string> Validate()
    {
        if (DiskQuotaBytes < 0)
        {
            yield return $"Mosaic:Worker:DiskQuotaBytes must be 0 (the whole disk) or more, got {DiskQuotaBytes}";
        }

        if (DiskFloorBytes < 0)
        {
            yield return $"Mosaic:Worker:DiskFloorBytes must be 0 (off) or more, got {DiskFloorBytes}";
        }

        if (DiskFloorFraction is < 0 or >= 1 || double.IsNaN(DiskFloorFraction))
        {
            yield return $"Mosaic:Worker:DiskFloorFraction must be at least 0 (off) and below 1, got {DiskFloorFraction}";
        }

        if (MaxIndexBacklog < TimeSpan.Zero)
        {
            yield return "Mosaic:Worker:MaxIndexBacklog must be zero (off) or positive";
        }

        if (MaxBacklogWait < TimeSpan.Zero)
        {
            yield return "Mosaic:Worker:MaxBacklogWait must be zero or positive";
        }

        if (PollInterval <= TimeSpan.Zero)
        {
            yield return "Mosaic:Worker:PollInterval must be positive";
        }

        if (ApplyBatchSize < 1)
        {
            yield return "Mosaic:Worker:ApplyBatchSize must be at least 1";
        }

        if (SnapshotAfterChanges < 1)
        {
            yield return "Mosaic:Worker:SnapshotAfterChanges must be at least 1";
        }

        if (SnapshotGraphFraction is < 0 or > 1 || double.IsNaN(SnapshotGraphFraction))
        {
            yield return "Mosaic:Worker:SnapshotGraphFraction must be within 0 (off) and 1";
        }

        if (BuildThreads < 0)
        {
            yield return "Mosaic:Worker:BuildThreads must be 0 (one per shard) or more";
        }
    }
}
