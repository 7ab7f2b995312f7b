namespace Mosaic.Core.Seams;

/// <summary>Retention of idempotency keys: the answers kept so that a repeated write answers its first result.</summary>
/// <remarks>
/// A key answers its first result for <see cref="Retention"/> after the write that stored it; after that the key is
/// forgotten, even before a sweep removes its row, and a repeat applies the write again (and stores a fresh answer). The
/// sweep only keeps the table bounded: rows older than <see cref="Retention"/> are deleted.
/// </remarks>
public interface IIdempotencyStore
{
    /// <summary>How long a key answers its first result.</summary>
    TimeSpan Retention { get; }

    /// <summary>Deletes every key older than <see cref="Retention"/>; returns how many went.</summary>
    Task<long> SweepIdempotencyKeysAsync(CancellationToken ct);
}
