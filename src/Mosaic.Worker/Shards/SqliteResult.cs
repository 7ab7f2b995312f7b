using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Mosaic.Worker.Shards;

/// <summary>Result codes of SQLite's own API (used where ADO.NET costs more than the rows), turned into ADO.NET's exception.</summary>
internal static class SqliteResult
{
    /// <summary>Throws a <see cref="SqliteException"/> with SQLite's message unless <paramref name="rc"/> is OK, ROW or DONE.</summary>
    public static void Check(sqlite3 db, int rc, string what)
    {
        if (rc is not (raw.SQLITE_OK or raw.SQLITE_ROW or raw.SQLITE_DONE))
        {
            throw new SqliteException($"{what} failed: {raw.sqlite3_errmsg(db).utf8_to_string()}", rc);
        }
    }
}
