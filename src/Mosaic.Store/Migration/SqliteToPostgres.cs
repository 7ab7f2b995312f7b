using System.Globalization;
using Microsoft.Data.Sqlite;
using Mosaic.Store.Backup;
using Mosaic.Store.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace Mosaic.Store.Migration;

/// <summary>Rows of one table on each side after a migration.</summary>
public sealed record TableCount(string Table, long Source, long Target);

/// <summary>What a migration copied and what each side holds afterwards.</summary>
public sealed record MigrationReport(IReadOnlyList<TableCount> Tables, IReadOnlyList<CollectionCensus> Source, IReadOnlyList<CollectionCensus> Target)
{
    /// <summary>Every table has the same rows on both sides, and every collection the same id, documents and log head.</summary>
    public bool Matches => Tables.All(t => t.Source == t.Target) && Source.SequenceEqual(Target);
}

/// <summary>
/// Moves an embedded store (a stopped server's SQLite file) into an empty PostgreSQL cluster store with the same ids:
/// collections with their settings, shard maps, documents with vectors and fields, the change log, slot heads and floors,
/// idempotency answers, and any other data table both schemas have (API keys, when a store keeps them).
/// </summary>
/// <remarks>
/// <para>
/// The tables are discovered, not listed: every table of the SQLite file that the PostgreSQL schema also has is copied
/// with binary COPY over the columns both have, typed by PostgreSQL's declared column types. A table added to both
/// stores later is migrated without a change here. Node leases and placement are not copied: they describe the embedded
/// process, and the cluster's placement leader assigns replicas to its own workers, which load from the store.
/// </para>
/// <para>
/// Everything happens in one PostgreSQL transaction (after creating the schema), so a failed migration leaves the target
/// as it was. Serial columns' sequences are moved past the copied ids, so new collections get fresh ones.
/// </para>
/// </remarks>
public static class SqliteToPostgres
{
    /// <summary>Tables of running processes, not data.</summary>
    private static readonly HashSet<string> Runtime = new(StringComparer.Ordinal) { "nodes", "leases", "placement", "placement_version" };

    public static async Task<MigrationReport> MigrateAsync(string sqlitePath, string connectionString, CancellationToken ct)
    {
        if (!File.Exists(sqlitePath))
        {
            throw new FileNotFoundException($"no store file at {sqlitePath}", sqlitePath);
        }

        using var source = SqliteBackup.Open(sqlitePath, SqliteOpenMode.ReadOnly);
        using var read = source.BeginTransaction(deferred: true);
        await using var target = new NpgsqlConnection(new PostgresStoreOptions(connectionString).EffectiveConnectionString);
        await target.OpenAsync(ct).ConfigureAwait(false);
        await using (var transaction = await target.BeginTransactionAsync(ct).ConfigureAwait(false))
        {
            await ExecuteAsync(target, transaction, PostgresSchema.Sql, ct).ConfigureAwait(false);
            if (await ScalarAsync(target, transaction, "SELECT count(*) FROM collections", ct).ConfigureAwait(false) > 0)
            {
                throw new InvalidOperationException($"database {target.Database} already holds collections: migrate into an empty store");
            }

            foreach (var table in await CommonTablesAsync(source, target, transaction, ct).ConfigureAwait(false))
            {
                await CopyAsync(source, read, target, table, ct).ConfigureAwait(false);
            }

            await ExecuteAsync(target, transaction, """
                DO $$ DECLARE r record; BEGIN
                  FOR r IN SELECT table_name, column_name FROM information_schema.columns
                           WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%' LOOP
                    EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, %L), greatest(coalesce((SELECT max(%I) FROM %I), 0), 1))',
                                   r.table_name, r.column_name, r.column_name, r.table_name);
                  END LOOP;
                END $$;
                UPDATE placement_version SET version = version + 1;
                """, ct).ConfigureAwait(false);
            await transaction.CommitAsync(ct).ConfigureAwait(false);
        }

        var counts = new List<TableCount>();
        foreach (var table in await CommonTablesAsync(source, target, null, ct).ConfigureAwait(false))
        {
            counts.Add(new TableCount(table.Name, await StoreCensus.CountAsync(source, read, table.Name, ct).ConfigureAwait(false), await StoreCensus.CountAsync(target, null, table.Name, ct).ConfigureAwait(false)));
        }

        return new MigrationReport(counts, await StoreCensus.ReadAsync(source, read, ct).ConfigureAwait(false), await StoreCensus.ReadAsync(target, null, ct).ConfigureAwait(false));
    }

    private sealed record Table(string Name, IReadOnlyList<(string Name, string Type)> Columns);

    /// <summary>Data tables in both stores, with the columns both have and PostgreSQL's type of each.</summary>
    private static async Task<List<Table>> CommonTablesAsync(SqliteConnection source, NpgsqlConnection target, NpgsqlTransaction? transaction, CancellationToken ct)
    {
        var sqliteColumns = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        using (var command = source.CreateCommand())
        {
            command.CommandText = "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                string table = reader.GetString(0);
                if (!Runtime.Contains(table))
                {
                    (sqliteColumns.TryGetValue(table, out var set) ? set : sqliteColumns[table] = new(StringComparer.Ordinal)).Add(reader.GetString(1));
                }
            }
        }

        var tables = new Dictionary<string, List<(string, string)>>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand("SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position", target, transaction))
        await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                string table = reader.GetString(0);
                if (sqliteColumns.TryGetValue(table, out var columns) && columns.Contains(reader.GetString(1)))
                {
                    (tables.TryGetValue(table, out var list) ? list : tables[table] = []).Add((reader.GetString(1), reader.GetString(2)));
                }
            }
        }

        return [.. tables.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => new Table(t.Key, t.Value))];
    }

    private static async Task CopyAsync(SqliteConnection source, SqliteTransaction read, NpgsqlConnection target, Table table, CancellationToken ct)
    {
        string columns = string.Join(", ", table.Columns.Select(c => c.Name));
        using var select = source.CreateCommand();
        select.Transaction = read;
        select.CommandText = $"SELECT {columns} FROM {table.Name}";
        using var reader = select.ExecuteReader();
        await using var importer = await target.BeginBinaryImportAsync($"COPY {table.Name} ({columns}) FROM STDIN (FORMAT BINARY)", ct).ConfigureAwait(false);
        while (reader.Read())
        {
            await importer.StartRowAsync(ct).ConfigureAwait(false);
            for (int i = 0; i < table.Columns.Count; i++)
            {
                if (reader.IsDBNull(i))
                {
                    await importer.WriteNullAsync(ct).ConfigureAwait(false);
                    continue;
                }

                var (name, type) = table.Columns[i];
                var value = reader.GetValue(i);
                await (type switch
                {
                    "bigint" => importer.WriteAsync(Convert.ToInt64(value, CultureInfo.InvariantCulture), NpgsqlDbType.Bigint, ct),
                    "integer" => importer.WriteAsync(Convert.ToInt32(value, CultureInfo.InvariantCulture), NpgsqlDbType.Integer, ct),
                    "smallint" => importer.WriteAsync(Convert.ToInt16(value, CultureInfo.InvariantCulture), NpgsqlDbType.Smallint, ct),
                    "boolean" => importer.WriteAsync(Convert.ToInt64(value, CultureInfo.InvariantCulture) != 0, NpgsqlDbType.Boolean, ct),
                    "double precision" => importer.WriteAsync(Convert.ToDouble(value, CultureInfo.InvariantCulture), NpgsqlDbType.Double, ct),
                    "text" => importer.WriteAsync(Convert.ToString(value, CultureInfo.InvariantCulture)!, NpgsqlDbType.Text, ct),
                    "jsonb" => importer.WriteAsync(Convert.ToString(value, CultureInfo.InvariantCulture)!, NpgsqlDbType.Jsonb, ct),
                    "bytea" => importer.WriteAsync((byte[])value, NpgsqlDbType.Bytea, ct),
                    // The embedded store keeps times as unix milliseconds of its clock.
                    "timestamp with time zone" => importer.WriteAsync(DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(value, CultureInfo.InvariantCulture)).UtcDateTime, NpgsqlDbType.TimestampTz, ct),
                    _ => throw new InvalidOperationException($"{table.Name}.{name}: PostgreSQL type '{type}' has no migration from SQLite"),
                }).ConfigureAwait(false);
            }
        }

        await importer.CompleteAsync(ct).ConfigureAwait(false);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }
}
