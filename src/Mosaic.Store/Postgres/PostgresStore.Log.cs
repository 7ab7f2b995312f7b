using Microsoft.Extensions.Logging;

namespace Mosaic.Store.Postgres;

public sealed partial class PostgresStore
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Store schema ready on PostgreSQL {Host}:{Port}, database {Database}")]
    private partial void LogSchemaReady(string host, int port, string database);

    [LoggerMessage(Level = LogLevel.Warning, Message = "LISTEN connection to the store failed; reconnecting in {BackoffMs} ms (tailers poll meanwhile)")]
    private partial void LogListenFailed(Exception ex, double backoffMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "LISTEN connection to the store restored")]
    private partial void LogListenRestored();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Write to collection {CollectionId} hit {SqlState} on attempt {Attempt}; retrying")]
    private partial void LogWriteRetry(long collectionId, string sqlState, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection to the store lost; pool cleared (retrying: {Retrying})")]
    private partial void LogConnectionLost(Exception ex, bool retrying);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not announce committed changes (other processes' tailers will poll)")]
    private partial void LogAnnounceFailed(Exception ex);
}
