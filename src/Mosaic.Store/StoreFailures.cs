using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Mosaic.Store;

/// <summary>Tells a store that cannot be reached right now (answer 503, try again) from a bug or a bad request.</summary>
/// <remarks>
/// PostgreSQL: Npgsql marks connection refusals, broken sockets and timeouts transient; server states that end
/// sessions (class 08 connection exceptions, 57P01-57P03 shutdown/starting, 53300 too many connections) are too.
/// SQLite: a busy or locked database past its timeout, and I/O, open and full-disk errors. A full disk is also told
/// apart (<see cref="IsOutOfSpace"/>): retrying does not help there until someone frees space.
/// </remarks>
public static class StoreFailures
{
    /// <summary>How long a client is told to wait before retrying a write the store could not take.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);

    // ENOSPC: .NET on Unix gives an IOException the raw errno as its HResult.
    private const int NoSpaceErrno = 28;

    /// <summary>The store's disk is full: the write was rolled back whole, and only freeing space helps (answer 507).</summary>
    public static bool IsOutOfSpace(Exception error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case SqliteException sqlite when sqlite.SqliteErrorCode == 13: // SQLITE_FULL
                case PostgresException pg when pg.SqlState == PostgresErrorCodes.DiskFull:
                case IOException io when io.HResult == NoSpaceErrno:
                    return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The store's own files are damaged (SQLite: a malformed database or not a database; PostgreSQL: XX001 data
    /// corrupted, XX002 index corrupted): no retry helps, only a restore from a backup.
    /// </summary>
    public static bool IsDamaged(Exception error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case SqliteException sqlite when sqlite.SqliteErrorCode is 11 or 26: // SQLITE_CORRUPT, SQLITE_NOTADB
                case PostgresException pg when pg.SqlState is PostgresErrorCodes.DataCorrupted or PostgresErrorCodes.IndexCorrupted:
                    return true;
            }
        }

        return false;
    }

    public static bool IsUnavailable(Exception error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case StoreUnreachableException:
                    return true;
                case PostgresException pg when pg.SqlState.StartsWith("08", StringComparison.Ordinal)
                    || pg.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow
                        or PostgresErrorCodes.TooManyConnections:
                    return true;
                case PostgresException:
                    return false;
                case NpgsqlException npgsql when npgsql.IsTransient:
                    return true;
                case SqliteException sqlite when sqlite.SqliteErrorCode is 5 or 6 or 10 or 13 or 14: // BUSY, LOCKED, IOERR, FULL, CANTOPEN
                    return true;
                case SocketException or TimeoutException:
                    return true;
            }
        }

        return false;
    }
}
