using Mosaic.Core.Seams;

namespace Mosaic.Store.Postgres;

/// <summary>Idempotency keys with a retention: a key answers its first result for that long, then it is forgotten and swept.</summary>
/// <remarks>Ages use the database's clock (<c>now()</c>), so every coordinator agrees on when a key expires.</remarks>
public sealed partial class PostgresStore
{
    TimeSpan IIdempotencyStore.Retention => _idempotencyRetention;

    public Task<long> SweepIdempotencyKeysAsync(CancellationToken ct) => RunAsync(
        async connection =>
        {
            await using var delete = Command("DELETE FROM idempotency WHERE created_at < now() - @retention", connection, null, ("retention", _idempotencyRetention));
            return (long)await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        },
        retry: true,
        ct);
}
