using System.Runtime.InteropServices;
using Mosaic.Index;
using SQLitePCL;

namespace Mosaic.Worker.Shards;

/// <summary>Full-precision vectors read from the shard file, for rescoring a quantized graph's candidates.</summary>
/// <remarks>
/// The float vectors of a quantized collection live only here (the graph keeps codes): a search rescores a few dozen
/// candidates by rowid, each one b-tree look-up. The statement is prepared once per pooled reader and driven through
/// SQLite's own API, the blob copied straight into the caller's buffer: through ADO.NET (a command and a byte[] per
/// row, a statement prepared per search) the 40 rows a k = 10 int8 search reads per shard cost more than its walk
/// (bench/README.md, "int8 through HTTP"). A search's reads share one read transaction (<see cref="ReadTogether"/>): each
/// statement run on its own begins and ends one, which takes and drops the file's locks (fcntl calls) and re-reads
/// the WAL index every row.
/// </remarks>
internal sealed class ShardVectorSource : IVectorSource, IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;

    /// <param name="db">The open connection of the <see cref="ShardReader"/> that owns this source.</param>
    public ShardVectorSource(sqlite3 db)
    {
        _db = db;
        Check(raw.sqlite3_prepare_v2(_db, "SELECT vector FROM docs WHERE rowid = ?1", out _statement), "preparing the vector read");
    }

    /// <summary>Opens a read transaction that the reads until <see cref="ReadApart"/> share (a no-op inside one).</summary>
    public void ReadTogether()
    {
        if (raw.sqlite3_get_autocommit(_db) != 0)
        {
            Check(raw.sqlite3_exec(_db, "BEGIN"), "beginning the vector reads");
        }
    }

    /// <summary>Ends the read transaction of <see cref="ReadTogether"/>, so that the WAL can be checkpointed past it.</summary>
    public void ReadApart()
    {
        if (raw.sqlite3_get_autocommit(_db) == 0)
        {
            Check(raw.sqlite3_exec(_db, "COMMIT"), "ending the vector reads");
        }
    }

    public bool TryRead(long label, Span<float> destination)
    {
        try
        {
            raw.sqlite3_bind_int64(_statement, 1, label);
            int rc = raw.sqlite3_step(_statement);
            if (rc == raw.SQLITE_ROW)
            {
                var bytes = raw.sqlite3_column_blob(_statement, 0);
                if (bytes.Length != destination.Length * sizeof(float))
                {
                    return false;
                }

                MemoryMarshal.Cast<byte, float>(bytes).CopyTo(destination);
                return true;
            }

            if (rc != raw.SQLITE_DONE)
            {
                Check(rc, "reading a vector");
            }

            return false;
        }
        finally
        {
            // A statement left stepped holds its read snapshot open, which would keep the WAL from being checkpointed.
            raw.sqlite3_reset(_statement);
        }
    }

    public void Dispose() => _statement.Dispose();

    private void Check(int rc, string what) => SqliteResult.Check(_db, rc, what);
}
