using Mosaic.Core.Collections;
using Mosaic.Core.Errors;
using Mosaic.Core.Sharding;
using Npgsql;
using NpgsqlTypes;

namespace Mosaic.Store.Postgres;

public sealed partial class PostgresStore
{
    public Task<(CollectionInfo Info, bool Created)> CreateAsync(CollectionSpec spec, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string json = CollectionSpecJson.Write(spec);
        // Safe to repeat: after a lost answer to a create that committed, the retry finds the identical collection.
        return RunAsync(connection => CreateOnceAsync(connection, spec, json, ct), retry: true, ct);
    }

    private async Task<(CollectionInfo Info, bool Created)> CreateOnceAsync(NpgsqlConnection connection, CollectionSpec spec, string json, CancellationToken ct)
    {
        // A concurrent creator of the same name holds the unique index entry until it commits, so ON CONFLICT waits for it
        // and then sees its row: "identical → existing, different → conflict" holds across coordinators. A create racing a
        // drop can find neither its insert nor a row; it tries again.
        for (int attempt = 0; ; attempt++)
        {
            await using (var insert = Command($"""
                WITH created AS (
                    INSERT INTO collections(name, spec) VALUES (@n, @s) ON CONFLICT (name) DO NOTHING RETURNING id)
                SELECT id, pg_notify('{Channel}', 'catalog') FROM created
                """, connection))
            {
                insert.Parameters.AddWithValue("n", spec.Name);
                insert.Parameters.AddWithValue("s", NpgsqlDbType.Jsonb, json);
                if (await insert.ExecuteScalarAsync(ct).ConfigureAwait(false) is long id)
                {
                    _signal.Notify();
                    return (ToInfo(id, spec), true);
                }
            }

            var existing = await FindAsync(connection, spec.Name, ct).ConfigureAwait(false);
            if (existing is not null)
            {
                return existing.Spec.SameSettingsAs(spec)
                    ? (existing, false)
                    : throw new MosaicException(ErrorKind.Conflict, "conflict", $"collection '{spec.Name}' exists with other settings");
            }

            if (attempt >= 2)
            {
                throw new MosaicException(ErrorKind.Unavailable, "unavailable", $"collection '{spec.Name}' is being created and dropped concurrently; retry");
            }
        }
    }

    public Task<CollectionInfo?> GetAsync(string name, CancellationToken ct) =>
        RunAsync(connection => FindAsync(connection, name, ct), retry: true, ct);

    public Task<IReadOnlyList<CollectionInfo>> ListAsync(CancellationToken ct) => RunAsync<IReadOnlyList<CollectionInfo>>(
        async connection =>
        {
            // COLLATE "C": byte order, the same as the embedded store, whatever the database's locale.
            await using var command = Command("SELECT id, spec FROM collections ORDER BY name COLLATE \"C\"", connection);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var list = new List<CollectionInfo>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                list.Add(ToInfo(reader.GetInt64(0), CollectionSpecJson.Read(reader.GetString(1))));
            }

            return list;
        },
        retry: true,
        ct);

    /// <remarks>Not retried on a lost connection: a drop that committed would then answer "did not exist".</remarks>
    public Task<bool> DeleteAsync(string name, CancellationToken ct) => RunAsync(
        async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
            // Deleting the row first takes its lock: it waits for in-flight writes (they hold a key-share lock on it), and
            // writes that start later find the collection gone. So no document or change can land after the sweep below.
            long id;
            await using (var drop = Command("DELETE FROM collections WHERE name = @n RETURNING id", connection, transaction, ("n", name)))
            {
                if (await drop.ExecuteScalarAsync(ct).ConfigureAwait(false) is not long found)
                {
                    return false;
                }

                id = found;
            }

            await using (var batch = new NpgsqlBatch(connection, transaction))
            {
                foreach (var table in new[] { "docs", "slot_seqs", "changes", "idempotency", "placement" })
                {
                    batch.BatchCommands.Add(BatchCommand($"DELETE FROM {table} WHERE collection_id = @c", ("c", id)));
                }

                // Its replicas leave placement in the same transaction, so routers reload and workers drop them.
                batch.BatchCommands.Add(BatchCommand("UPDATE placement_version SET version = version + 1 WHERE id = 1"));
                batch.BatchCommands.Add(BatchCommand(NotifySql("catalog")));
                await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            await transaction.CommitAsync(ct).ConfigureAwait(false);
            _signal.Notify();
            return true;
        },
        retry: false,
        ct);

    private static async Task<CollectionInfo?> FindAsync(NpgsqlConnection connection, string name, CancellationToken ct)
    {
        await using var command = Command("SELECT id, spec FROM collections WHERE name = @n", connection, null, ("n", name));
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await reader.ReadAsync(ct).ConfigureAwait(false) ? ToInfo(reader.GetInt64(0), CollectionSpecJson.Read(reader.GetString(1))) : null;
    }

    private static CollectionInfo ToInfo(long id, CollectionSpec spec) => new(id, spec, ShardMap.Even(spec.Shards));
}
