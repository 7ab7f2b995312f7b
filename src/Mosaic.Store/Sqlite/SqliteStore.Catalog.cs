using Microsoft.Data.Sqlite;
using Mosaic.Core.Collections;
using Mosaic.Core.Errors;
using Mosaic.Core.Sharding;

namespace Mosaic.Store.Sqlite;

public sealed partial class SqliteStore
{
    private const string MapsSql = """
        SELECT m.collection_id, m.version, s.shard_id, s.lo, s.hi, s.state, s.parent
        FROM shard_maps m LEFT JOIN shards s ON s.collection_id = m.collection_id
        """;

    public async Task<(CollectionInfo Info, bool Created)> CreateAsync(CollectionSpec spec, CancellationToken ct)
    {
        await _writeGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            using var connection = Open();
            using var transaction = connection.BeginTransaction();
            var existing = Find(connection, spec.Name, transaction);
            if (existing is not null)
            {
                return existing.Spec.SameSettingsAs(spec)
                    ? (existing, false)
                    : throw new MosaicException(ErrorKind.Conflict, "conflict", $"collection '{spec.Name}' exists with other settings");
            }

            using var insert = Command(connection, "INSERT INTO collections(name, spec) VALUES ($n, $s) RETURNING id", transaction);
            insert.Parameters.AddWithValue("$n", spec.Name);
            insert.Parameters.AddWithValue("$s", CollectionSpecJson.Write(spec));
            long id = (long)insert.ExecuteScalar()!;
            var map = ShardMap.Even(spec.Shards);
            WriteMap(connection, transaction, id, map);
            BumpPlacementVersion(connection, transaction);
            transaction.Commit();
            _signal.Notify();
            return (new CollectionInfo(id, spec, map), true);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public Task<CollectionInfo?> GetAsync(string name, CancellationToken ct)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction(deferred: true);
        return Task.FromResult(Find(connection, name, transaction));
    }

    public Task<IReadOnlyList<CollectionInfo>> ListAsync(CancellationToken ct)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction(deferred: true);
        var maps = ReadMaps(connection, transaction, null);
        using var command = Command(connection, "SELECT id, spec FROM collections ORDER BY name", transaction);
        using var reader = command.ExecuteReader();
        var list = new List<CollectionInfo>();
        while (reader.Read())
        {
            var spec = CollectionSpecJson.Read(reader.GetString(1));
            list.Add(new CollectionInfo(reader.GetInt64(0), spec, ShardMapRows.MapOf(maps, reader.GetInt64(0), spec)));
        }

        return Task.FromResult<IReadOnlyList<CollectionInfo>>(list);
    }

    public async Task<CollectionInfo?> SetReplicasAsync(string name, int replicas, CancellationToken ct)
    {
        await _writeGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            using var connection = Open();
            using var transaction = connection.BeginTransaction();
            var existing = Find(connection, name, transaction);
            if (existing is null || existing.Spec.Replicas == replicas)
            {
                return existing;
            }

            var spec = existing.Spec with { Replicas = replicas };
            using var update = Command(connection, "UPDATE collections SET spec = $s WHERE id = $c", transaction);
            update.Parameters.AddWithValue("$s", CollectionSpecJson.Write(spec));
            update.Parameters.AddWithValue("$c", existing.Id);
            update.ExecuteNonQuery();
            BumpPlacementVersion(connection, transaction);
            transaction.Commit();
            _signal.Notify();
            return existing with { Spec = spec };
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public async Task<bool> DeleteAsync(string name, CancellationToken ct)
    {
        await _writeGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            using var connection = Open();
            using var transaction = connection.BeginTransaction();
            var existing = Find(connection, name, transaction);
            if (existing is null)
            {
                return false;
            }

            foreach (var table in new[] { "docs", "slot_seqs", "slot_floors", "changes", "idempotency", "shards", "shard_maps", "placement" })
            {
                using var delete = Command(connection, $"DELETE FROM {table} WHERE collection_id = $c", transaction);
                delete.Parameters.AddWithValue("$c", existing.Id);
                delete.ExecuteNonQuery();
            }

            using var drop = Command(connection, "DELETE FROM collections WHERE id = $c", transaction);
            drop.Parameters.AddWithValue("$c", existing.Id);
            drop.ExecuteNonQuery();
            BumpPlacementVersion(connection, transaction);
            transaction.Commit();
            ForgetCachedHeads(existing.Id);
            _signal.Notify();
            return true;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public async Task<bool> ReplaceShardMapAsync(long collectionId, ShardMap expected, ShardMap next, CancellationToken ct)
    {
        await _writeGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            using var connection = Open();
            using var transaction = connection.BeginTransaction();
            using var find = Command(connection, "SELECT spec FROM collections WHERE id = $c", transaction);
            find.Parameters.AddWithValue("$c", collectionId);
            if (find.ExecuteScalar() is not string specJson)
            {
                return false;
            }

            var current = ShardMapRows.MapOf(ReadMaps(connection, transaction, collectionId), collectionId, CollectionSpecJson.Read(specJson));
            if (current.Version != expected.Version)
            {
                return false;
            }

            WriteMap(connection, transaction, collectionId, next);
            BumpPlacementVersion(connection, transaction);
            transaction.Commit();
            _signal.Notify();
            return true;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private static void WriteMap(SqliteConnection connection, SqliteTransaction transaction, long collectionId, ShardMap map)
    {
        using (var clear = Command(connection, "DELETE FROM shards WHERE collection_id = $c", transaction))
        {
            clear.Parameters.AddWithValue("$c", collectionId);
            clear.ExecuteNonQuery();
        }

        using var insert = Command(connection, "INSERT INTO shards(collection_id, shard_id, lo, hi, state, parent) VALUES ($c, $id, $lo, $hi, $st, $p)", transaction);
        insert.Parameters.AddWithValue("$c", collectionId);
        var id = insert.Parameters.Add("$id", SqliteType.Integer);
        var lo = insert.Parameters.Add("$lo", SqliteType.Integer);
        var hi = insert.Parameters.Add("$hi", SqliteType.Integer);
        var state = insert.Parameters.Add("$st", SqliteType.Text);
        var parent = insert.Parameters.Add("$p", SqliteType.Integer);
        foreach (var shard in map.All)
        {
            id.Value = shard.Id;
            lo.Value = shard.Range.Start;
            hi.Value = shard.Range.End;
            state.Value = ShardMapRows.StateName(shard.State);
            parent.Value = (object?)shard.Parent ?? DBNull.Value;
            insert.ExecuteNonQuery();
        }

        using var version = Command(connection, "INSERT INTO shard_maps(collection_id, version) VALUES ($c, $v) ON CONFLICT(collection_id) DO UPDATE SET version = excluded.version", transaction);
        version.Parameters.AddWithValue("$c", collectionId);
        version.Parameters.AddWithValue("$v", map.Version);
        version.ExecuteNonQuery();
    }

    private static Dictionary<long, ShardMap> ReadMaps(SqliteConnection connection, SqliteTransaction? transaction, long? collectionId)
    {
        using var command = Command(connection, collectionId is null ? MapsSql : MapsSql + " WHERE m.collection_id = $c", transaction);
        if (collectionId is long id)
        {
            command.Parameters.AddWithValue("$c", id);
        }

        using var reader = command.ExecuteReader();
        return ShardMapRows.Read(reader);
    }

    private static CollectionInfo? Find(SqliteConnection connection, string name, SqliteTransaction? transaction)
    {
        using var command = Command(connection, "SELECT id, spec FROM collections WHERE name = $n", transaction);
        command.Parameters.AddWithValue("$n", name);
        long id;
        CollectionSpec spec;
        using (var reader = command.ExecuteReader())
        {
            if (!reader.Read())
            {
                return null;
            }

            (id, spec) = (reader.GetInt64(0), CollectionSpecJson.Read(reader.GetString(1)));
        }

        return new CollectionInfo(id, spec, ShardMapRows.MapOf(ReadMaps(connection, transaction, id), id, spec));
    }
}
