using Microsoft.Data.Sqlite;
using Mosaic.Core.Seams;

namespace Mosaic.Store.Sqlite;

/// <summary>Idempotency keys with a retention: a key answers its first result for that long, then it is forgotten and swept.</summary>
public sealed partial class SqliteStore
{
    TimeSpan IIdempotencyStore.Retention => _idempotencyRetention;

    public async Task<long> SweepIdempotencyKeysAsync(CancellationToken ct)
    {
        long deleted = 0;
        await WriteAsync(
            (connection, transaction) =>
            {
                using var delete = Command(connection, "DELETE FROM idempotency WHERE created_at < $cutoff", transaction);
                delete.Parameters.AddWithValue("$cutoff", IdempotencyCutoff());
                deleted = delete.ExecuteNonQuery();
                return false;
            },
            ct).ConfigureAwait(false);
        return deleted;
    }

    /// <summary>The stored answer of a key written within the retention; an older row is as good as gone.</summary>
    private string? FindAnswer(SqliteConnection connection, SqliteTransaction transaction, long collectionId, string key)
    {
        using var command = Command(connection, "SELECT answer FROM idempotency WHERE collection_id = $c AND key = $k AND created_at >= $cutoff", transaction);
        command.Parameters.AddWithValue("$c", collectionId);
        command.Parameters.AddWithValue("$k", key);
        command.Parameters.AddWithValue("$cutoff", IdempotencyCutoff());
        return command.ExecuteScalar() as string;
    }

    /// <summary>Keeps the answer of a key; an expired row not swept yet is replaced, so the window restarts from this write.</summary>
    private void RememberAnswer(SqliteConnection connection, SqliteTransaction transaction, long collectionId, string key, string answer)
    {
        using var remember = Command(connection, """
            INSERT INTO idempotency(collection_id, key, answer, created_at) VALUES ($c, $k, $a, $now)
            ON CONFLICT(collection_id, key) DO UPDATE SET answer = excluded.answer, created_at = excluded.created_at
            """, transaction);
        remember.Parameters.AddWithValue("$c", collectionId);
        remember.Parameters.AddWithValue("$k", key);
        remember.Parameters.AddWithValue("$a", answer);
        remember.Parameters.AddWithValue("$now", NowMs());
        remember.ExecuteNonQuery();
    }

    private long IdempotencyCutoff() => NowMs() - (long)_idempotencyRetention.TotalMilliseconds;

    /// <summary>Stores made before keys expired have no created_at: add it, and give the keys they hold one full window from now.</summary>
    private void AddIdempotencyTimes(SqliteConnection connection)
    {
        if (AddMissingColumn(connection, "idempotency", "created_at", "INTEGER NOT NULL DEFAULT 0"))
        {
            using var stamp = Command(connection, "UPDATE idempotency SET created_at = $now");
            stamp.Parameters.AddWithValue("$now", NowMs());
            stamp.ExecuteNonQuery();
        }

        Execute(connection, "CREATE INDEX IF NOT EXISTS idempotency_created ON idempotency(created_at)");
    }
}
