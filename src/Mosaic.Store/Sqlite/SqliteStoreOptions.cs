namespace Mosaic.Store.Sqlite;

/// <summary>Where the embedded store keeps its file, and how long it keeps idempotency keys.</summary>
public sealed record SqliteStoreOptions(string Path)
{
    /// <summary>How long an idempotency key answers its first result (see <see cref="Core.Seams.IIdempotencyStore"/>).</summary>
    public TimeSpan IdempotencyRetention { get; init; } = TimeSpan.FromHours(24);
}
