using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Mosaic.Worker.Shards;

/// <summary>Brings a shard file written with an FTS5 <c>fts</c> table (before the text column) to the current layout, on open.</summary>
/// <remarks>
/// One transaction: a new <c>docs</c> table is filled from the old one joined with <c>fts</c> (row ids kept, so the graph
/// and keyword snapshots, keyed by row id, stay valid), then the old table and <c>fts</c> are dropped and the new one
/// renamed. SQLite's DDL is transactional, so a kill -9 at any point leaves either the old layout, migrated again at the
/// next open, or the new one; a file without <c>fts</c> is left alone, so running it again does nothing.
/// </remarks>
internal static partial class ShardFileMigration
{
    public static void Run(ShardFile file, ILogger logger, string collection, int shard)
    {
        using var connection = file.Open();
        // BEGIN IMMEDIATE: the layout is checked and changed under the write lock.
        using var transaction = connection.BeginTransaction(deferred: false);
        using (var check = connection.CreateCommand())
        {
            check.CommandText = "SELECT count(*) FROM sqlite_master WHERE name = 'fts'";
            if ((long)check.ExecuteScalar()! == 0)
            {
                return;
            }
        }

        long started = Stopwatch.GetTimestamp();
        ShardFile.Execute(connection, $"""
            CREATE TABLE docs_text ({ShardFile.DocsColumns});
            INSERT INTO docs_text (rowid, doc_id, slot, seq, fields, text, vector)
                SELECT d.rowid, d.doc_id, d.slot, d.seq, d.fields, f.text, d.vector FROM docs d LEFT JOIN fts f ON f.rowid = d.rowid;
            DROP TABLE docs;
            DROP TABLE fts;
            ALTER TABLE docs_text RENAME TO docs;
            """);
        long rows;
        using (var count = connection.CreateCommand())
        {
            count.CommandText = "SELECT count(*) FROM docs";
            rows = (long)count.ExecuteScalar()!;
        }

        transaction.Commit();
        LogMigrated(logger, collection, shard, rows, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Shard {Collection}/{Shard}: shard file migrated from its FTS5 table to a text column, {Rows} rows, {Ms:F0} ms")]
    private static partial void LogMigrated(ILogger logger, string collection, int shard, long rows, double ms);
}
