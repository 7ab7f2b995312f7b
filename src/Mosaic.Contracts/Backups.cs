namespace Mosaic.Contracts;

/// <summary>POST /admin/backup: where the node writes the backup (a directory on the node's file system, absolute, new or empty).</summary>
public sealed record BackupRequest(string? To);

/// <summary>
/// What a backup holds, written as <c>manifest.json</c> beside the store copy and returned by POST /admin/backup.
/// </summary>
/// <remarks>The counts are read from the same snapshot as the copy: a restore that finds other counts is a broken backup.</remarks>
/// <param name="Format">Backup layout version (1).</param>
/// <param name="Store"><c>sqlite</c> (File is a SQLite database) or <c>postgresql</c> (File is a pg_dump custom-format archive).</param>
/// <param name="LogHead">Sum over collections of their per-slot change-log heads: every change the backup has seen.</param>
public sealed record BackupManifest(
    int Format,
    string Store,
    string File,
    DateTimeOffset CreatedAt,
    string MosaicVersion,
    long DocCount,
    long LogHead,
    List<BackupCollection> Collections);

/// <summary>One collection in a backup.</summary>
public sealed record BackupCollection(string Name, long Id, int Shards, long DocCount, long LogHead);
