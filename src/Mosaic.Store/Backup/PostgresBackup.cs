using System.Data;
using Mosaic.Store.Postgres;
using Npgsql;

namespace Mosaic.Store.Backup;

/// <summary>Consistent dumps of the cluster store with <c>pg_dump</c>, and their restore with <c>pg_restore</c>.</summary>
/// <remarks>
/// The census is read in a repeatable-read transaction that exports its snapshot, and pg_dump dumps that very snapshot
/// (<c>--snapshot</c>) while the transaction stays open: the manifest's counts are those of the dump, though writes go on.
/// Node leases, named leases and placement are cluster run-time state of the nodes that wrote them: their rows are left
/// out, and the restored cluster's placement leader assigns replicas afresh (they load from the store).
/// </remarks>
public static class PostgresBackup
{
    /// <summary>Tables whose rows describe the running processes, not the data.</summary>
    public static readonly IReadOnlyList<string> RuntimeTables = ["nodes", "leases", "placement"];

    /// <summary>Dumps the store at <paramref name="connectionString"/> into <paramref name="destination"/> (pg_dump's custom format).</summary>
    public static async Task<IReadOnlyList<CollectionCensus>> DumpAsync(string connectionString, string destination, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(new PostgresStoreOptions(connectionString).EffectiveConnectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
        string snapshot;
        await using (var export = new NpgsqlCommand("SELECT pg_export_snapshot()", connection, transaction))
        {
            snapshot = (string)(await export.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        }

        var census = await StoreCensus.ReadAsync(connection, transaction, ct).ConfigureAwait(false);
        string temp = destination + ".partial";
        File.Delete(temp);
        List<string> args = ["--format=custom", "--no-owner", "--no-privileges", $"--snapshot={snapshot}", $"--file={temp}"];
        args.AddRange(RuntimeTables.Select(t => $"--exclude-table-data={t}"));
        await PostgresTools.RunAsync("pg_dump", args, connection, connectionString, ct).ConfigureAwait(false);
        await transaction.CommitAsync(ct).ConfigureAwait(false);
        File.Move(temp, destination);
        return census;
    }

    /// <summary>Restores a dump into the (empty) database at <paramref name="connectionString"/> and returns its census.</summary>
    public static async Task<IReadOnlyList<CollectionCensus>> RestoreAsync(string dump, string connectionString, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(new PostgresStoreOptions(connectionString).EffectiveConnectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using (var probe = new NpgsqlCommand("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'collections'", connection))
        {
            if ((long)(await probe.ExecuteScalarAsync(ct).ConfigureAwait(false))! > 0)
            {
                throw new InvalidOperationException($"database {connection.Database} already holds a Mosaic store; restore into an empty database");
            }
        }

        await PostgresTools.RunAsync("pg_restore", ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", $"--dbname={connection.Database}", dump], connection, connectionString, ct).ConfigureAwait(false);
        return await StoreCensus.ReadAsync(connection, null, ct).ConfigureAwait(false);
    }
}
