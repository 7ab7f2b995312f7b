using System.CommandLine;
using Mosaic.Hosting.Backups;

namespace Mosaic.Cli.Verbs;

/// <summary>`mosaic restore --from DIR --data NEWDIR` (or `--store CONN` for a PostgreSQL backup): brings a backup back and
/// checks its counts against the manifest.</summary>
/// <remarks>Shard files are derived data and are not in a backup: the restored server's replicas rebuild from the store.</remarks>
internal static class RestoreVerb
{
    /// <summary>Exit code when the restored store does not hold what the manifest says.</summary>
    private const int Mismatch = 3;

    public static Command Create()
    {
        var from = new Option<string>("--from") { Description = "a backup directory (with manifest.json)", Required = true };
        var data = new Option<string?>("--data") { Description = "new data directory for a SQLite backup; start `mosaic serve --data` on it" };
        var store = new Option<string?>("--store") { Description = "an empty PostgreSQL database for a PostgreSQL backup" };
        var command = new Command("restore", "Restore a backup into a new data directory (or an empty PostgreSQL database) and verify its counts") { from, data, store };
        command.SetAction(async (result, ct) =>
        {
            string? dataDir = result.GetValue(data);
            string? conn = result.GetValue(store);
            if ((dataDir is null) == (conn is null))
            {
                await Console.Error.WriteLineAsync("mosaic restore: give exactly one of --data NEWDIR (SQLite backup) or --store CONN (PostgreSQL backup)");
                return 2;
            }

            try
            {
                var (manifest, restored) = await StoreBackups.RestoreAsync(Path.GetFullPath(result.GetValue(from)!), dataDir is null ? null : Path.GetFullPath(dataDir), conn, ct);
                CensusTable.Print($"restored the {manifest.Store} backup of {manifest.CreatedAt:u} into {dataDir ?? "PostgreSQL"}", restored.Select(c => (c.Name, c.Shards, c.Docs, c.LogHead)));
                var problems = StoreBackups.Compare(manifest, restored);
                if (problems.Count > 0)
                {
                    await Console.Error.WriteLineAsync("mosaic restore: the restored store does not match the manifest:\n  " + string.Join("\n  ", problems));
                    return Mismatch;
                }

                Console.WriteLine("counts match the manifest");
                return 0;
            }
            catch (Exception ex) when (ex is IOException or ArgumentException or InvalidOperationException or InvalidDataException or System.Text.Json.JsonException or Microsoft.Data.Sqlite.SqliteException or Npgsql.NpgsqlException)
            {
                await Console.Error.WriteLineAsync($"mosaic restore: {ex.Message}");
                return 1;
            }
        });
        return command;
    }
}
