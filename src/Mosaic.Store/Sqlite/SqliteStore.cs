using Microsoft.Data.Sqlite;
using Mosaic.Core.Changes;
using Mosaic.Core.Seams;

namespace Mosaic.Store.Sqlite;

/// <summary>The embedded store: one SQLite file in WAL mode holding collections, shard maps, documents, the change log,
/// and the (one-node) cluster's node leases and placement.</summary>
/// <remarks>
/// Embedded Mosaic is a cluster of one: the same placement leader, worker and router run over this store as over
/// PostgreSQL, so splits and everything else behave the same on a laptop.
/// Writes are serialized through one gate (SQLite has one writer anyway; the gate avoids SQLITE_BUSY retries), and the
/// writes queued behind it are committed together (group commit: one transaction and one fsync for many writers).
/// synchronous=FULL makes every commit fsync the WAL, so an acknowledged write survives kill -9 and power loss.
/// </remarks>
public sealed partial class SqliteStore : ICollectionCatalog, IDocumentStore, IIdempotencyStore, IApiKeyStore, IChangeLog, INodeRegistry, IPlacementStore, IShardMapStore, IDisposable
{
    private readonly string _connectionString;
    /// <summary>Most documents committed in one group: a bound on one transaction's size and on a waiter's delay.</summary>
    private const int MaxGroupDocuments = 10_000;

    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly System.Collections.Concurrent.ConcurrentQueue<PendingWrite> _pending = new();

    /// <summary>The connection groups are committed on (used only under the write gate); reopened after a failure.</summary>
    private SqliteConnection? _writer;
    private GroupStatements? _statements;
    private readonly ChangeSignal _signal;
    private readonly TimeProvider _time;
    private readonly TimeSpan _idempotencyRetention;

    public SqliteStore(SqliteStoreOptions options, ChangeSignal signal, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.Path))!);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = options.Path, Pooling = true, DefaultTimeout = 30 }.ToString();
        _signal = signal;
        _idempotencyRetention = options.IdempotencyRetention;
        using var connection = Open();
        Execute(connection, Schema);
        AddIdempotencyTimes(connection);
        // A node's data disk as of its last renewal; stores made before it was reported get the columns empty.
        foreach (string column in (string[])["disk_free_bytes", "disk_total_bytes", "disk_floor_bytes"])
        {
            AddMissingColumn(connection, "nodes", column, "INTEGER");
        }
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
            created_at INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (collection_id, key)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS slot_floors (
            collection_id INTEGER NOT NULL,
            slot INTEGER NOT NULL,
            floor INTEGER NOT NULL,
            PRIMARY KEY (collection_id, slot)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS shard_maps (
            collection_id INTEGER PRIMARY KEY,
            version INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS shards (
            collection_id INTEGER NOT NULL,
            shard_id INTEGER NOT NULL,
            lo INTEGER NOT NULL,
            hi INTEGER NOT NULL,
            state TEXT NOT NULL,
            parent INTEGER,
            PRIMARY KEY (collection_id, shard_id)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS nodes (
            node_id TEXT PRIMARY KEY,
            role TEXT NOT NULL,
            address TEXT NOT NULL,
            lease_expires_at INTEGER NOT NULL,
            drained INTEGER NOT NULL DEFAULT 0,
            shard_address TEXT,
            disk_free_bytes INTEGER,
            disk_total_bytes INTEGER,
            disk_floor_bytes INTEGER);
        CREATE TABLE IF NOT EXISTS leases (
            name TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            expires_at INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS placement (
            collection_id INTEGER NOT NULL,
            shard INTEGER NOT NULL,
            node_id TEXT NOT NULL,
            state TEXT NOT NULL,
            lag INTEGER NOT NULL DEFAULT 0,
            bytes INTEGER NOT NULL DEFAULT 0,
            qps REAL NOT NULL DEFAULT 0,
            docs INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (collection_id, shard, node_id)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS placement_version (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            version INTEGER NOT NULL);
        INSERT OR IGNORE INTO placement_version(id, version) VALUES (1, 0);
        CREATE TABLE IF NOT EXISTS api_keys (
            id TEXT PRIMARY KEY,
            hash TEXT NOT NULL UNIQUE,
            role TEXT NOT NULL,
            rate REAL,
            created_at INTEGER NOT NULL,
            revoked_at INTEGER);
        """;

    public void Dispose()
    {
        _disposed = true;
        while (_readers.TryTake(out var reader))
        {
            reader.Dispose();
        }

        _statements?.Dispose();
        _writer?.Dispose();
        _writeGate.Dispose();

        // Pooled connections stay open after Dispose; closing the last one is what makes SQLite fold the write-ahead log
        // into store.db, so a cleanly stopped store is one self-contained file.
        SqliteConnection.ClearPool(new SqliteConnection(_connectionString));
    }

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

    /// <summary>Adds a column a store made by an older version lacks (SQLite has no ADD COLUMN IF NOT EXISTS); true when it
    /// was missing.</summary>
    private static bool AddMissingColumn(SqliteConnection connection, string table, string column, string definition)
    {
        using (var check = Command(connection, $"SELECT count(*) FROM pragma_table_info('{table}') WHERE name = '{column}'"))
        {
            if ((long)check.ExecuteScalar()! > 0)
            {
                return false;
            }
        }

        Execute(connection, $"ALTER TABLE {table} ADD COLUMN {column} {definition}");
        return true;
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }
}
