using Microsoft.Data.Sqlite;
using Mosaic.Core.Changes;
using Mosaic.Core.Seams;

namespace Mosaic.Store.Sqlite;

/// <summary>The embedded store: one SQLite file in WAL mode holding collections, documents and the change log.</summary>
/// <remarks>
/// Writes are serialized through one gate (SQLite has one writer anyway; the gate avoids SQLITE_BUSY retries).
/// synchronous=FULL makes every commit fsync the WAL, so an acknowledged write survives kill -9 and power loss.
/// </remarks>
public sealed partial class SqliteStore : ICollectionCatalog, IDocumentStore, IChangeLog, IDisposable
{
    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly ChangeSignal _signal;

    public SqliteStore(SqliteStoreOptions options, ChangeSignal signal)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.Path))!);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = options.Path, Pooling = true, DefaultTimeout = 30 }.ToString();
        _signal = signal;
        using var connection = Open();
        Execute(connection, Schema);
    }

    private const string Schema = """
        PRAGMA journal_mode = WAL;
        CREATE TABLE IF NOT EXISTS collections (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            spec TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS docs (
            collection_id INTEGER NOT NULL,
            doc_id TEXT NOT NULL,
            slot INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            text TEXT,
            vector BLOB,
            fields TEXT,
            PRIMARY KEY (collection_id, doc_id)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS slot_seqs (
            collection_id INTEGER NOT NULL,
            slot INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            PRIMARY KEY (collection_id, slot)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS changes (
            collection_id INTEGER NOT NULL,
            slot INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            doc_id TEXT NOT NULL,
            op INTEGER NOT NULL,
            PRIMARY KEY (collection_id, slot, seq)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS idempotency (
            collection_id INTEGER NOT NULL,
            key TEXT NOT NULL,
            answer TEXT NOT NULL,
            PRIMARY KEY (collection_id, key)) WITHOUT ROWID;
        """;

    public void Dispose() => _writeGate.Dispose();

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, "PRAGMA synchronous = FULL; PRAGMA busy_timeout = 30000;");
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }
}
