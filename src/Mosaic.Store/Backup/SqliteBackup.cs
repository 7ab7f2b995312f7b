using Microsoft.Data.Sqlite;

namespace Mosaic.Store.Backup;

/// <summary>Consistent copies of the embedded store's file, taken while it serves.</summary>
/// <remarks>
/// SQLite's online backup API copies every page under one read transaction, so the copy is the store at one commit even
/// while writers go on (WAL: readers never block them). The copy is switched out of WAL mode so it is one self-contained
/// file, and its census is read from the copy itself: the manifest then describes exactly what the file holds.
/// </remarks>
public static class SqliteBackup
{
    /// <summary>Copies the store at <paramref name="storePath"/> into <paramref name="destination"/> (which must not exist).</summary>
    public static async Task<IReadOnlyList<CollectionCensus>> CopyAsync(string storePath, string destination, CancellationToken ct)
    {
        if (!File.Exists(storePath))
        {
            throw new FileNotFoundException($"no store file at {storePath}", storePath);
        }

        string temp = destination + ".partial";
        File.Delete(temp);
        using (var source = Open(storePath, SqliteOpenMode.ReadOnly))
        using (var copy = Open(temp, SqliteOpenMode.ReadWriteCreate))
        {
            source.BackupDatabase(copy);
            using var command = copy.CreateCommand();
            command.CommandText = "PRAGMA journal_mode = DELETE";
            command.ExecuteNonQuery();
        }

        // Renamed only once complete, so a crash mid-copy never leaves a file that looks like a backup.
        File.Move(temp, destination);
        return await CensusAsync(destination, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Puts the backup <paramref name="backup"/> in place as the store file <paramref name="storePath"/> (which must not
    /// exist) and returns its census. Node leases and placement rows are dropped: they describe the processes that wrote
    /// the backup, and the restored server's placement assigns its replicas afresh, which load from the store (shard
    /// files are derived data, so none are restored).
    /// </summary>
    public static async Task<IReadOnlyList<CollectionCensus>> RestoreAsync(string backup, string storePath, CancellationToken ct)
    {
        if (File.Exists(storePath))
        {
            throw new IOException($"{storePath} exists: restore into a new data directory");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(storePath))!);
        string temp = storePath + ".partial";
        File.Copy(backup, temp, overwrite: true);
        using (var connection = Open(temp, SqliteOpenMode.ReadWrite))
        using (var command = connection.CreateCommand())
        {
            command.CommandText = string.Concat(PostgresBackup.RuntimeTables.Select(t => $"DELETE FROM {t};")) + "UPDATE placement_version SET version = version + 1;";
            command.ExecuteNonQuery();
        }

        File.Move(temp, storePath);
        return await CensusAsync(storePath, ct).ConfigureAwait(false);
    }

    /// <summary>The census of a store file nobody writes (a backup, a stopped server's store).</summary>
    public static async Task<IReadOnlyList<CollectionCensus>> CensusAsync(string path, CancellationToken ct)
    {
        using var connection = Open(path, SqliteOpenMode.ReadOnly);
        return await StoreCensus.ReadAsync(connection, null, ct).ConfigureAwait(false);
    }

    internal static SqliteConnection Open(string path, SqliteOpenMode mode)
    {
        // No pooling: a pooled handle would keep the file open after we are done (the restore moves and deletes files).
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false, DefaultTimeout = 30 }.ToString());
        connection.Open();
        return connection;
    }
}
