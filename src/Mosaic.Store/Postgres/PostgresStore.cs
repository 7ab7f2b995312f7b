using Microsoft.Extensions.Logging;
using Mosaic.Core.Changes;
using Mosaic.Core.Errors;
using Mosaic.Core.Seams;
using System.Threading.Channels;
using Npgsql;

namespace Mosaic.Store.Postgres;

/// <summary>The cluster store on PostgreSQL: collections, documents, the per-slot change log, node leases and placement.</summary>
/// <remarks>
/// <para>
/// Any number of coordinators (processes, data sources, connections) write at once. Each slot's sequence stays gapless
/// and commit-ordered: a write bumps its slots' counter rows, in ascending slot order, as its first data statement, and
/// the row locks that the bump takes serialize writers of a slot until commit, so seq n+1 can never commit before n.
/// </para>
/// <para>
/// Every change is announced with <c>pg_notify</c> on channel <see cref="Channel"/>: catalog, node and placement changes
/// inside their transaction (delivered on commit, never on rollback), document writes right after their commit (see
/// <see cref="AnnounceDocumentChanges"/>). Each store keeps one LISTEN connection and turns every notification into
/// <see cref="ChangeSignal.Notify"/>, so tailers, routers and the placement leader of every process wake; they poll
/// anyway, so a lost notification only adds latency.
/// </para>
/// </remarks>
public sealed partial class PostgresStore : ICollectionCatalog, IDocumentStore, IIdempotencyStore, IApiKeyStore, IChangeLog, INodeRegistry, IPlacementStore, IShardMapStore, IAsyncDisposable
{
    /// <summary>The NOTIFY channel every store instance listens on.</summary>
    public const string Channel = "mosaic_changes";

    private readonly NpgsqlDataSource _dataSource;
    private readonly NpgsqlDataSource _listenSource;
    private readonly NpgsqlDataSource _announceSource;
    private readonly Channel<bool> _announcements = NewAnnouncementQueue();
    private readonly ChangeSignal _signal;
    private readonly ILogger<PostgresStore> _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _schemaLock = new();
    private readonly Task _listener;
    private readonly Task _announcer;
    private readonly TimeSpan _idempotencyRetention;
    private Task? _schema;
    private int _disposed;

    public PostgresStore(PostgresStoreOptions options, ChangeSignal signal, ILogger<PostgresStore> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        // With several hosts this is a multi-host data source that finds the primary (see PostgresStoreOptions).
        string connectionString = options.EffectiveConnectionString;
        _dataSource = NpgsqlDataSource.Create(connectionString);
        // The LISTEN connection lives for the life of the store: keep it out of the pool, and let Npgsql's keepalive
        // find a connection that died silently (the server's host vanished) instead of waiting on it forever.
        var listen = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, KeepAlive = 10 };
        _listenSource = NpgsqlDataSource.Create(listen.ConnectionString);
        // Announcements are their own tiny transactions; with synchronous_commit off they never wait for a WAL flush.
        var announce = new NpgsqlConnectionStringBuilder(connectionString) { Options = "-c synchronous_commit=off", MaxPoolSize = 2 };
        _announceSource = NpgsqlDataSource.Create(announce.ConnectionString);
        _signal = signal;
        _logger = logger;
        _idempotencyRetention = options.IdempotencyRetention;
        _listener = Task.Run(ListenAsync);
        _announcer = Task.Run(AnnounceAsync);
    }

    /// <summary>Opens a pooled connection once the schema exists.</summary>
    private async Task<NpgsqlConnection> OpenAsync(CancellationToken ct)
    {
        try
        {
            await EnsureSchemaAsync().WaitAsync(ct).ConfigureAwait(false);
            return await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        }
        catch (NpgsqlException ex) when (ex is not PostgresException && !ex.IsTransient)
        {
            // Nothing ran yet: no listed host took the connection as the store (a failover in progress, all down).
            throw new StoreUnreachableException($"the store cannot be reached: {ex.Message}", ex);
        }
    }

    /// <summary>The one schema creation of this store; a failed attempt (store not up yet) is retried by the next caller.</summary>
    private Task EnsureSchemaAsync()
    {
        lock (_schemaLock)
        {
            if (_schema is null || _schema.IsFaulted || _schema.IsCanceled)
            {
                _schema = CreateSchemaAsync();
            }

            return _schema;
        }
    }

    private async Task CreateSchemaAsync()
    {
        await using var connection = await _dataSource.OpenConnectionAsync(_stop.Token).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(_stop.Token).ConfigureAwait(false);
        await using (var command = new NpgsqlCommand(PostgresSchema.Sql, connection, transaction))
        {
            await command.ExecuteNonQueryAsync(_stop.Token).ConfigureAwait(false);
        }

        await transaction.CommitAsync(_stop.Token).ConfigureAwait(false);
        LogSchemaReady(connection.Host ?? "?", connection.Port, connection.Database);
    }

    /// <summary>A statement that announces a change of <paramref name="what"/>; inside a transaction it is delivered on commit.</summary>
    private static string NotifySql(string what) => $"SELECT pg_notify('{Channel}', '{what}')";

    private static NpgsqlCommand Command(string sql, NpgsqlConnection connection, NpgsqlTransaction? transaction = null, params (string Name, object? Value)[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    private static NpgsqlBatchCommand BatchCommand(string sql, params (string Name, object? Value)[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    /// <summary>
    /// PostgreSQL text cannot hold U+0000 (SQLite can); the server rejects it with an encoding error. That is bad input,
    /// so it surfaces as a 400 naming the cause rather than as a store failure.
    /// </summary>
    private static bool IsNulCharacter(PostgresException ex) =>
        ex.SqlState is PostgresErrorCodes.CharacterNotInRepertoire or PostgresErrorCodes.UntranslatableCharacter;

    private static MosaicException NulCharacter() =>
        MosaicException.Invalid("ids, text, fields and idempotency keys must not contain the NUL character (\\u0000)");

    public async ValueTask DisposeAsync()
    {
        // The container disposes this once per interface it was registered under (each a factory returning this
        // instance): only the first call stops it. A second one used to cancel the disposed token source and end a node
        // whose start failed with an unhandled ObjectDisposedException instead of its own error.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_listener, _announcer).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }

        await _listenSource.DisposeAsync().ConfigureAwait(false);
        await _announceSource.DisposeAsync().ConfigureAwait(false);
        await _dataSource.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
