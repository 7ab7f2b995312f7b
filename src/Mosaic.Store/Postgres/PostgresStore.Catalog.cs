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
            var map = ShardMap.Even(spec.Shards);
            await using (var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false))
            {
                long? created;
                await using (var insert = Command("INSERT INTO collections(name, spec) VALUES (@n, @s) ON CONFLICT (name) DO NOTHING RETURNING id", connection, transaction))
                {
                    insert.Parameters.AddWithValue("n", spec.Name);
                    insert.Parameters.AddWithValue("s", NpgsqlDbType.Jsonb, json);
                    created = await insert.ExecuteScalarAsync(ct).ConfigureAwait(false) as long?;
                }

                if (created is long id)
                {
                    // The collection, its shard map and the routing version bump commit together.
                    await WriteMapAsync(connection, transaction, id, map, "catalog", ct).ConfigureAwait(false);
                    await transaction.CommitAsync(ct).ConfigureAwait(false);
                    _signal.Notify();
                    return (new CollectionInfo(id, spec, map), true);
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
            // One snapshot for collections and maps (repeatable read), so a split's switch is seen whole or not at all.
            await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
            var maps = await ReadMapsAsync(connection, transaction, null, ct).ConfigureAwait(false);
            // COLLATE "C": byte order, the same as the embedded store, whatever the database's locale.
            await using var command = Command("SELECT id, spec FROM collections ORDER BY name COLLATE \"C\"", connection, transaction);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var list = new List<CollectionInfo>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var spec = CollectionSpecJson.Read(reader.GetString(1));
                list.Add(new CollectionInfo(reader.GetInt64(0), spec, ShardMapRows.MapOf(maps, reader.GetInt64(0), spec)));
            }

            return list;
        },
        retry: true,
        ct);

    /// <remarks>Retried on a lost connection: setting the same R again is a no-op.</remarks>
    public Task<CollectionInfo?> SetReplicasAsync(string name, int replicas, CancellationToken ct) => RunAsync(
        async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
            // The row's lock orders this after a concurrent map change or drop of the same collection.
            long id;
            CollectionSpec spec;
            await using (var find = Command("SELECT id, spec::text FROM collections WHERE name = @n FOR UPDATE", connection, transaction, ("n", name)))
            await using (var reader = await find.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                if (!await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    return null;
                }

                (id, spec) = (reader.GetInt64(0), CollectionSpecJson.Read(reader.GetString(1)));
            }

            var map = ShardMapRows.MapOf(await ReadMapsAsync(connection, transaction, id, ct).ConfigureAwait(false), id, spec);
            if (spec.Replicas != replicas)
            {
                spec = spec with { Replicas = replicas };
                await using var batch = new NpgsqlBatch(connection, transaction);
                var update = BatchCommand("UPDATE collections SET spec = @s WHERE id = @c", ("c", id));
                update.Parameters.AddWithValue("s", NpgsqlDbType.Jsonb, CollectionSpecJson.Write(spec));
                batch.BatchCommands.Add(update);
                batch.BatchCommands.Add(BatchCommand("UPDATE placement_version SET version = version + 1 WHERE id = 1"));
                batch.BatchCommands.Add(BatchCommand(NotifySql("catalog")));
                await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            await transaction.CommitAsync(ct).ConfigureAwait(false);
            _signal.Notify();
            return new CollectionInfo(id, spec, map);
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
                foreach (var table in new[] { "docs", "slot_seqs", "slot_floors", "changes", "idempotency", "placement", "shards", "shard_maps" })
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

    public Task<bool> ReplaceShardMapAsync(long collectionId, ShardMap expected, ShardMap next, CancellationToken ct) => RunAsync(
        async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
            // The collection row's lock orders map changes of one collection and waits out a concurrent drop.
            string? specJson;
            await using (var find = Command("SELECT spec::text FROM collections WHERE id = @c FOR UPDATE", connection, transaction, ("c", collectionId)))
            {
                specJson = await find.ExecuteScalarAsync(ct).ConfigureAwait(false) as string;
            }

            if (specJson is null)
            {
                return false;
            }

            var maps = await ReadMapsAsync(connection, transaction, collectionId, ct).ConfigureAwait(false);
            if (ShardMapRows.MapOf(maps, collectionId, CollectionSpecJson.Read(specJson)).Version != expected.Version)
            {
                return false;
            }

            await WriteMapAsync(connection, transaction, collectionId, next, "placement", ct).ConfigureAwait(false);
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            _signal.Notify();
            return true;
        },
        retry: false,
        ct);

    /// <summary>Writes the whole map, bumps the routing version and notifies, inside the caller's transaction.</summary>
    private static async Task WriteMapAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long collectionId, ShardMap map, string what, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        batch.BatchCommands.Add(BatchCommand("DELETE FROM shards WHERE collection_id = @c", ("c", collectionId)));
        foreach (var shard in map.All)
        {
            batch.BatchCommands.Add(BatchCommand(
                "INSERT INTO shards(collection_id, shard_id, lo, hi, state, parent) VALUES (@c, @id, @lo, @hi, @st, @p)",
                ("c", collectionId), ("id", shard.Id), ("lo", shard.Range.Start), ("hi", shard.Range.End), ("st", ShardMapRows.StateName(shard.State)), ("p", (object?)shard.Parent ?? DBNull.Value)));
        }

        batch.BatchCommands.Add(BatchCommand(
            "INSERT INTO shard_maps(collection_id, version) VALUES (@c, @v) ON CONFLICT (collection_id) DO UPDATE SET version = excluded.version",
            ("c", collectionId), ("v", map.Version)));
        batch.BatchCommands.Add(BatchCommand("UPDATE placement_version SET version = version + 1 WHERE id = 1"));
        batch.BatchCommands.Add(BatchCommand(NotifySql(what)));
        await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task<Dictionary<long, ShardMap>> ReadMapsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, long? collectionId, CancellationToken ct)
    {
        await using var command = Command(
            "SELECT m.collection_id, m.version, s.shard_id, s.lo, s.hi, s.state, s.parent FROM shard_maps m LEFT JOIN shards s ON s.collection_id = m.collection_id"
            + (collectionId is null ? "" : " WHERE m.collection_id = @c"),
            connection,
            transaction,
            ("c", collectionId ?? 0));
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return ShardMapRows.Read(reader);
    }

    private static async Task<CollectionInfo?> FindAsync(NpgsqlConnection connection, string name, CancellationToken ct)
    {
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
        long id;
        CollectionSpec spec;
        await using (var command = Command("SELECT id, spec FROM collections WHERE name = @n", connection, transaction, ("n", name)))
        await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                return null;
            }

            (id, spec) = (reader.GetInt64(0), CollectionSpecJson.Read(reader.GetString(1)));
        }

        var maps = await ReadMapsAsync(connection, transaction, id, ct).ConfigureAwait(false);
        return new CollectionInfo(id, spec, ShardMapRows.MapOf(maps, id, spec));
    }
}
