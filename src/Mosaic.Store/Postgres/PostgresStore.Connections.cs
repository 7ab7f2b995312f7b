using Npgsql;

namespace Mosaic.Store.Postgres;

public sealed partial class PostgresStore
{
    /// <summary>
    /// Runs <paramref name="body"/> on a pooled connection. When the connection turns out dead, the pool is cleared and,
    /// if <paramref name="retry"/>, the body runs once more on a fresh connection.
    /// </summary>
    /// <remarks>
    /// A PostgreSQL restart or failover leaves every idle pooled connection dead, and Npgsql hands them out without a
    /// check (it only looks at its own "broken" flag), so without this each one would fail one request after the store
    /// is back. Only bodies that are safe to run twice pass <paramref name="retry"/>: reads, and single statements whose
    /// repetition leaves the same state (renewing a lease, assigning a replica that is then already assigned).
    /// </remarks>
    private async Task<T> RunAsync<T>(Func<NpgsqlConnection, Task<T>> body, bool retry, CancellationToken ct)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await OpenAsync(ct).ConfigureAwait(false);
                return await body(connection).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsConnectionFailure(ex) && !ct.IsCancellationRequested)
            {
                _dataSource.Clear();
                LogConnectionLost(ex, retry && attempt == 1);
                if (!retry || attempt > 1)
                {
                    throw;
                }
            }
        }
    }

    private Task RunAsync(Func<NpgsqlConnection, Task> body, bool retry, CancellationToken ct) => RunAsync(
        async connection =>
        {
            await body(connection).ConfigureAwait(false);
            return true;
        },
        retry,
        ct);

    /// <summary>The connection (not the statement) failed: the server went away, restarts, or is shutting down.</summary>
    private static bool IsConnectionFailure(Exception ex) => ex switch
    {
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState.StartsWith("57P", StringComparison.Ordinal),
        NpgsqlException npgsql => npgsql.InnerException is not TimeoutException,
        StoreUnreachableException => true,
        _ => false,
    };
}
