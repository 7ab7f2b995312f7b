using Mosaic.Core.Collections;
using Mosaic.Core.Errors;
using Mosaic.Core.Sharding;

namespace Mosaic.Store.Sqlite;

public sealed partial class SqliteStore
{
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
            transaction.Commit();
            _signal.Notify();
            return (ToInfo(id, spec), true);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public Task<CollectionInfo?> GetAsync(string name, CancellationToken ct)
    {
        using var connection = Open();
        return Task.FromResult(Find(connection, name, null));
    }

    public Task<IReadOnlyList<CollectionInfo>> ListAsync(CancellationToken ct)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT id, spec FROM collections ORDER BY name");
        using var reader = command.ExecuteReader();
        var list = new List<CollectionInfo>();
        while (reader.Read())
        {
            list.Add(ToInfo(reader.GetInt64(0), CollectionSpecJson.Read(reader.GetString(1))));
        }

        return Task.FromResult<IReadOnlyList<CollectionInfo>>(list);
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

            foreach (var table in new[] { "docs", "slot_seqs", "changes", "idempotency" })
            {
                using var delete = Command(connection, $"DELETE FROM {table} WHERE collection_id = $c", transaction);
                delete.Parameters.AddWithValue("$c", existing.Id);
                delete.ExecuteNonQuery();
            }

            using var drop = Command(connection, "DELETE FROM collections WHERE id = $c", transaction);
            drop.Parameters.AddWithValue("$c", existing.Id);
            drop.ExecuteNonQuery();
            transaction.Commit();
            _signal.Notify();
            return true;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private static CollectionInfo? Find(Microsoft.Data.Sqlite.SqliteConnection connection, string name, Microsoft.Data.Sqlite.SqliteTransaction? transaction)
    {
        using var command = Command(connection, "SELECT id, spec FROM collections WHERE name = $n", transaction);
        command.Parameters.AddWithValue("$n", name);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ToInfo(reader.GetInt64(0), CollectionSpecJson.Read(reader.GetString(1))) : null;
    }

    private static CollectionInfo ToInfo(long id, CollectionSpec spec) => new(id, spec, ShardMap.Even(spec.Shards));
}
