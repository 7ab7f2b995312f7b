using System.CommandLine;
using Mosaic.Client;
using Mosaic.Contracts;
using Mosaic.Hosting.Backups;

namespace Mosaic.Cli.Verbs;

/// <summary>`mosaic backup --to DIR (--url URL | --data DIR)`: a consistent copy of the store plus manifest.json.</summary>
/// <remarks>
/// With --url the running node writes the backup (POST /admin/backup), so DIR is a path on that node's machine; with
/// --data the stopped embedded server's store file is copied here. Either way the copy is of one moment.
/// </remarks>
internal static class BackupVerb
{
    public static Command Create()
    {
        var to = new Option<string>("--to") { Description = "directory to write the backup into (new or empty)", Required = true };
        var url = new Option<string?>("--url") { Description = "a running node's address: it writes the backup (DIR is on its file system)" };
        var data = new Option<string?>("--data") { Description = "the data directory of a stopped embedded server" };
        var key = new Option<string?>("--key") { Description = $"an admin key when the node has keys on (default: the {KeysVerb.KeyVariable} environment variable)" };
        var command = new Command("backup", "Back up the store: a consistent copy (SQLite online backup or pg_dump) plus a manifest") { to, url, data, key };
        command.SetAction(async (result, ct) =>
        {
            string? address = result.GetValue(url);
            string? dataDir = result.GetValue(data);
            if ((address is null) == (dataDir is null))
            {
                await Console.Error.WriteLineAsync("mosaic backup: give exactly one of --url URL (a running node) or --data DIR (a stopped embedded server)");
                return 2;
            }

            string directory = Path.GetFullPath(result.GetValue(to)!);
            BackupManifest manifest;
            try
            {
                if (address is not null)
                {
                    if (!Uri.TryCreate(address.EndsWith('/') ? address : address + "/", UriKind.Absolute, out var uri))
                    {
                        await Console.Error.WriteLineAsync($"mosaic backup: --url must be an http(s) address, got '{address}'");
                        return 2;
                    }

                    // A large store takes a while to copy: no client-side timeout (Ctrl+C still cancels).
                    using var client = new MosaicClient(uri, result.GetValue(key) ?? Environment.GetEnvironmentVariable(KeysVerb.KeyVariable), Timeout.InfiniteTimeSpan);
                    manifest = await client.BackupAsync(directory, ct);
                }
                else
                {
                    string store = Path.Combine(dataDir!, "store.db");
                    if (!File.Exists(store))
                    {
                        await Console.Error.WriteLineAsync($"mosaic backup: {Path.GetFullPath(dataDir!)} holds no store.db (not an embedded data directory)");
                        return 2;
                    }

                    manifest = await StoreBackups.Sqlite(store, TimeProvider.System).TakeAsync(directory, ct);
                }
            }
            catch (MosaicApiException ex)
            {
                await Console.Error.WriteLineAsync($"mosaic backup: {ex.Status} {ex.Error}: {ex.Detail}");
                return 1;
            }
            catch (Exception ex) when (ex is HttpRequestException or Core.Errors.MosaicException or IOException or InvalidOperationException or Microsoft.Data.Sqlite.SqliteException)
            {
                await Console.Error.WriteLineAsync($"mosaic backup: {ex.Message}");
                return 1;
            }

            CensusTable.Print($"backup of the {manifest.Store} store in {directory} ({manifest.File}, {manifest.CreatedAt:u})", manifest.Collections.Select(c => (c.Name, c.Shards, c.DocCount, c.LogHead)));
            return 0;
        });
        return command;
    }
}
