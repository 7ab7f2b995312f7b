namespace Mosaic.Store;

/// <summary>No connection to the store could be opened: it is down, or (several hosts) none of them is the primary yet.</summary>
/// <remarks>
/// Npgsql reports a multi-host data source with every host down or still a standby (mid-failover, before a promotion) as
/// a plain <c>NpgsqlException</c> "No suitable host was found", not marked transient. For Mosaic it is exactly that: the
/// store is unavailable for now, the request was not acknowledged, a retry later is safe (see <see cref="StoreFailures"/>).
/// </remarks>
public sealed class StoreUnreachableException(string message, Exception inner) : Exception(message, inner);
