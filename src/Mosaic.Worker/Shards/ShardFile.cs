using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Mosaic.Core.Changes;
using Mosaic.Core.Documents;

namespace Mosaic.Worker.Shards;

/// <summary>A shard replica's durable part: one SQLite file with the documents (text in a plain column) and the applied seqs.</summary>
/// <remarks>
/// The text is stored, not indexed: ranking is the keyword index's (Mosaic.Index), so the file needs no FTS5 table (it
/// cost every write a tokenization and every payload read a join). Files written with one are migrated on open
/// (<see cref="ShardFileMigration"/>). <c>vector</c> is the last column so that a large vector's overflow pages are only
/// read when it is asked for.
/// 
/// The applied sequence of each slot is written in the same transaction as the documents it covers, so after any crash
/// the file says exactly where to resume tailing. The file is derived data (rebuildable from the store), so commits use
/// synchronous=NORMAL: a lost tail after power loss is re-applied from the log.
/// </remarks>
internal sealed class ShardFile : IDisposable
{
    /// <summary>Idle readers kept for reuse; more than the cores that can use them at once would only hold memory.</summary>
    private static readonly int MaxIdleReaders = Math.Max(2, Environment.ProcessorCount);

    /// <summary>Address space to map per connection (only the file's size is mapped); the pages are the OS page cache's.</summary>
    private const long MmapBytes = 1L << 30;

    /// <summary>The columns of the <c>docs</c> table (a migration creates the same table).</summary>
    internal const string DocsColumns =
        "rowid INTEGER PRIMARY KEY, doc_id TEXT NOT NULL UNIQUE, slot INTEGER NOT NULL, seq INTEGER NOT NULL, fields TEXT, text TEXT, vector BLOB";

    private readonly string _connectionString;
    private readonly ConcurrentBag<ShardReader> _readers = [];
    private volatile bool _disposed;
    private ShardWriter? _writer;

    public ShardFile(string path)
    {
        Path = path;
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
        using var connection = Open();
        Execute(connection, $"""
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS docs ({DocsColumns});
            CREATE TABLE IF NOT EXISTS applied (slot INTEGER PRIMARY KEY, seq INTEGER NOT NULL);
            """);
    }

    public string Path { get; }

    public long SizeBytes => File.Exists(Path) ? new FileInfo(Path).Length + WalSize() : 0;

    private long WalSize() => File.Exists(Path + "-wal") ? new FileInfo(Path + "-wal").Length : 0;

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        // Memory-mapped reads: a payload fetch touches a few random pages, which SQLite's small per-connection cache
        // mostly misses; through mmap they are page-cache hits with no read() system call and no copy.
        Execute(connection, $"PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 30000; PRAGMA mmap_size = {MmapBytes};");
        return connection;
    }

    /// <summary>A reader with prepared statements, from the idle ones when there is one; give it back with <see cref="Return"/>.</summary>
    public ShardReader Rent() => _readers.TryTake(out var reader) ? reader : new ShardReader(Open());

    public void Return(ShardReader reader)
    {
        if (_disposed || _readers.Count >= MaxIdleReaders)
        {
            reader.Dispose();
            return;
        }

        _readers.Add(reader);
        if (_disposed && _readers.TryTake(out var late))
        {
            // Disposed while this one was being given back: nobody will drain the bag again.
            late.Dispose();
        }
    }

    public Dictionary<int, long> ReadApplied()
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT slot, seq FROM applied";
        using var reader = command.ExecuteReader();
        var applied = new Dictionary<int, long>();
        while (reader.Read())
        {
            applied[reader.GetInt32(0)] = reader.GetInt64(1);
        }

        return applied;
    }

    /// <summary>Every stored row, for rebuilding the in-memory part at start-up.</summary>
    public IEnumerable<StoredRow> ReadRows(bool withVectors)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = withVectors
            ? "SELECT rowid, doc_id, seq, fields, vector IS NOT NULL, vector FROM docs"
            : "SELECT rowid, doc_id, seq, fields, vector IS NOT NULL, NULL FROM docs";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            yield return new StoredRow(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetInt64(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetBoolean(4),
                reader.IsDBNull(5) ? null : VectorCodec.FromBytes((byte[])reader.GetValue(5)));
        }
    }

    public float[]? ReadVector(SqliteConnection connection, long rowid)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT vector FROM docs WHERE rowid = $r";
        command.Parameters.AddWithValue("$r", rowid);
        return command.ExecuteScalar() is byte[] bytes ? VectorCodec.FromBytes(bytes) : null;
    }

    /// <summary>Applies changes (sorted by slot, then seq) in one transaction and returns what the memory side must do.</summary>
    /// <param name="markApplied">The applied seqs to record with them; null records each slot's last change (tailing).
    /// A bootstrap from current rows records nothing until its last batch, which records the heads it started from.</param>
    /// <remarks>Only the replica's one loop writes, so one writer connection with its statements prepared is kept between
    /// batches (opening and preparing eight statements per batch cost more than a small batch's rows); after a failure the
    /// next batch opens a fresh one.</remarks>
    public List<AppliedChange> Apply(IReadOnlyList<ChangeRecord> changes, IReadOnlyDictionary<int, long>? markApplied = null)
    {
        var writer = _writer ??= new ShardWriter(Open());
        try
        {
            return writer.Apply(changes, markApplied);
        }
        catch
        {
            _writer = null;
            writer.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _writer?.Dispose();
        _writer = null;
        while (_readers.TryTake(out var reader))
        {
            reader.Dispose();
        }

        SqliteConnection.ClearPool(new SqliteConnection(_connectionString));
    }

    internal static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}

/// <summary>A document row of the shard file.</summary>
internal sealed record StoredRow(long RowId, string DocId, long Seq, string? FieldsJson, bool HasVector, float[]? Vector);

/// <summary>What one applied change means for the in-memory side.</summary>
internal sealed record AppliedChange(long RowId, string DocId, long Seq, bool Deleted, float[]? Vector, string? FieldsJson, string? Text = null);
