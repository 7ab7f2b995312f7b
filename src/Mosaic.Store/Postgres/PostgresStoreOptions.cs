namespace Mosaic.Store.Postgres;

/// <summary>How to reach the cluster store: an Npgsql connection string (Host=…;Port=…;Username=…;Database=…).</summary>
public sealed record PostgresStoreOptions(string ConnectionString)
{
    /// <summary>How long an idempotency key answers its first result (see <see cref="Core.Seams.IIdempotencyStore"/>).</summary>
    public TimeSpan IdempotencyRetention { get; init; } = TimeSpan.FromHours(24);
}
