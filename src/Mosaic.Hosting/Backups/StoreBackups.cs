using System.Reflection;
using System.Text.Json;
using Mosaic.Contracts;
using Mosaic.Core.Errors;
using Mosaic.Store.Backup;

namespace Mosaic.Hosting.Backups;

/// <summary>Backups of this node's store into a directory: the store copy plus <c>manifest.json</c> (POST /admin/backup, <c>mosaic backup</c>).</summary>
/// <remarks>A backup directory holds exactly one backup: an existing non-empty directory is refused, never overwritten.</remarks>
public sealed class StoreBackups
{
    /// <summary>The manifest's file name in a backup directory.</summary>
    public const string ManifestFile = "manifest.json";

    private const string SqliteFile = "store.db";
    private const string PostgresFile = "store.dump";

    private readonly string? _sqlitePath;
    private readonly string? _postgres;
    private readonly TimeProvider _time;

    private StoreBackups(string? sqlitePath, string? postgres, TimeProvider time)
    {
        _sqlitePath = sqlitePath;
        _postgres = postgres;
        _time = time;
    }

    /// <summary>Backups of the embedded store file at <paramref name="path"/>.</summary>
    public static StoreBackups Sqlite(string path, TimeProvider time) => new(path, null, time);

    /// <summary>Backups of the PostgreSQL store at <paramref name="connectionString"/>.</summary>
    public static StoreBackups Postgres(string connectionString, TimeProvider time) => new(null, connectionString, time);

    /// <summary>Takes a consistent backup into <paramref name="directory"/> (absolute; absent or empty) and returns its manifest.</summary>
    public async Task<BackupManifest> TakeAsync(string? directory, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(directory) || !Path.IsPathFullyQualified(directory))
        {
            throw MosaicException.Invalid($"to: must be an absolute directory path on the node, got '{Shown(directory)}'");
        }

        if (directory.Contains('\0', StringComparison.Ordinal))
        {
            throw MosaicException.Invalid($"to: a path cannot hold a NUL character, got '{Shown(directory)}'");
        }

        try
        {
            if (File.Exists(directory) || (Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any()))
            {
                throw new MosaicException(ErrorKind.Conflict, "conflict", $"to: {Shown(directory)} exists and is not an empty directory; a backup goes into a new one");
            }

            Directory.CreateDirectory(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            // A path the node cannot make (under a file, in /proc, too long, no permission) is the caller's to change.
            throw MosaicException.Invalid($"to: cannot create the directory '{Shown(directory)}' on this node: {Shown(ex.Message)}");
        }
        string file = _sqlitePath is not null ? SqliteFile : PostgresFile;
        var census = _sqlitePath is not null
            ? await SqliteBackup.CopyAsync(_sqlitePath, Path.Combine(directory, file), ct).ConfigureAwait(false)
            : await PostgresBackup.DumpAsync(_postgres!, Path.Combine(directory, file), ct).ConfigureAwait(false);
        var manifest = Manifest(_sqlitePath is not null ? "sqlite" : "postgresql", file, _time.GetUtcNow(), census);
        await File.WriteAllBytesAsync(Path.Combine(directory, ManifestFile), JsonSerializer.SerializeToUtf8Bytes(manifest, MosaicJson.Api.BackupManifest), ct).ConfigureAwait(false);
        return manifest;
    }

    /// <summary>A path as an error message shows it: at most 200 characters.</summary>
    private static string? Shown(string? path) => path is { Length: > 200 } ? path[..200] + "…" : path;

    /// <summary>Reads the manifest of the backup in <paramref name="directory"/>.</summary>
    public static BackupManifest ReadManifest(string directory)
    {
        string path = Path.Combine(directory, ManifestFile);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{directory} holds no {ManifestFile}: not a Mosaic backup", path);
        }

        var manifest = JsonSerializer.Deserialize(File.ReadAllBytes(path), MosaicJson.Api.BackupManifest)
            ?? throw new InvalidDataException($"{path} is empty");
        // The file it names is read from this directory: a bare file name, never a path (or nothing, from a damaged manifest).
        return manifest.File is { Length: > 0 } file && Path.GetFileName(file) == file && manifest.Store is "sqlite" or "postgresql"
            ? manifest
            : throw new InvalidDataException($"{path} is not a Mosaic backup manifest: it needs \"store\" (sqlite or postgresql) and \"file\" (a file name in {directory})");
    }

    /// <summary>
    /// Restores the backup in <paramref name="directory"/>: a SQLite backup as the store of data directory
    /// <paramref name="dataDir"/>, a PostgreSQL dump into the empty database <paramref name="store"/>. Returns the manifest
    /// and the restored store's census; the caller compares them.
    /// </summary>
    public static async Task<(BackupManifest Manifest, IReadOnlyList<CollectionCensus> Restored)> RestoreAsync(string directory, string? dataDir, string? store, CancellationToken ct)
    {
        var manifest = ReadManifest(directory);
        string file = Path.Combine(directory, manifest.File);
        var restored = manifest.Store switch
        {
            "sqlite" when dataDir is not null => await SqliteBackup.RestoreAsync(file, Path.Combine(dataDir, SqliteFile), ct).ConfigureAwait(false),
            "postgresql" when store is not null => await PostgresBackup.RestoreAsync(file, store, ct).ConfigureAwait(false),
            "sqlite" => throw new ArgumentException("a SQLite backup restores into a data directory: give --data NEWDIR"),
            "postgresql" => throw new ArgumentException("a PostgreSQL backup restores into an empty database: give --store CONN"),
            _ => throw new InvalidDataException($"unknown store kind '{manifest.Store}' in {ManifestFile}"),
        };
        return (manifest, restored);
    }

    /// <summary>The differences between what a manifest promises and what a store holds (empty when they agree).</summary>
    public static List<string> Compare(BackupManifest manifest, IReadOnlyList<CollectionCensus> restored)
    {
        var problems = new List<string>();
        var byName = restored.ToDictionary(c => c.Name, StringComparer.Ordinal);
        foreach (var c in manifest.Collections)
        {
            if (!byName.Remove(c.Name, out var r))
            {
                problems.Add($"collection {c.Name}: missing");
            }
            else if (r.Docs != c.DocCount || r.LogHead != c.LogHead || r.Id != c.Id)
            {
                problems.Add($"collection {c.Name}: backup says id {c.Id}, {c.DocCount} docs, log head {c.LogHead}; restored id {r.Id}, {r.Docs} docs, log head {r.LogHead}");
            }
        }

        problems.AddRange(byName.Keys.Select(n => $"collection {n}: not in the backup"));
        return problems;
    }

    private static BackupManifest Manifest(string store, string file, DateTimeOffset now, IReadOnlyList<CollectionCensus> census) => new(
        1,
        store,
        file,
        now,
        typeof(StoreBackups).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown",
        census.Sum(c => c.Docs),
        census.Sum(c => c.LogHead),
        [.. census.Select(c => new BackupCollection(c.Name, c.Id, c.Shards, c.Docs, c.LogHead))]);
}
