using Microsoft.Data.Sqlite;
using Mosaic.Store;
using Npgsql;
using Xunit;

namespace Mosaic.Tests.Store;

/// <summary>Which store failures are a full disk (507: free space, then retry), a store that cannot be reached (503), or a damaged one (restore).</summary>
public sealed class StoreFailuresTests
{
    public static TheoryData<string, bool, bool, bool> Failures() => new()
    {
        { "sqlite full", true, true, false },
        { "sqlite busy", false, true, false },
        { "sqlite constraint", false, false, false },
        { "postgres disk full", true, false, false },
        { "postgres admin shutdown", false, true, false },
        { "enospc", true, false, false },
        { "enospc wrapped", true, false, false },
        { "other io error", false, false, false },
        { "sqlite corrupt", false, false, true },
        { "sqlite not a database", false, false, true },
        { "postgres data corrupted", false, false, true },
        { "postgres index corrupted wrapped", false, false, true },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void A_full_disk_is_told_apart_from_an_unreachable_store_and_a_damaged_one(string failure, bool outOfSpace, bool unavailable, bool damaged)
    {
        var error = Make(failure);
        Assert.Equal(outOfSpace, StoreFailures.IsOutOfSpace(error));
        Assert.Equal(unavailable, StoreFailures.IsUnavailable(error));
        Assert.Equal(damaged, StoreFailures.IsDamaged(error));
    }

    private static Exception Make(string failure) => failure switch
    {
        "sqlite full" => new SqliteException("database or disk is full", 13),
        "sqlite busy" => new SqliteException("database is locked", 5),
        "sqlite constraint" => new SqliteException("UNIQUE constraint failed", 19),
        "postgres disk full" => new PostgresException("could not extend file", "ERROR", "ERROR", PostgresErrorCodes.DiskFull),
        "postgres admin shutdown" => new PostgresException("terminating connection", "FATAL", "FATAL", PostgresErrorCodes.AdminShutdown),
        "enospc" => new IOException("No space left on device", 28),
        "enospc wrapped" => new InvalidOperationException("snapshot failed", new IOException("No space left on device", 28)),
        "other io error" => new IOException("Input/output error", 5),
        "sqlite corrupt" => new SqliteException("database disk image is malformed", 11),
        "sqlite not a database" => new SqliteException("file is not a database", 26),
        "postgres data corrupted" => new PostgresException("invalid page in block 7", "ERROR", "ERROR", PostgresErrorCodes.DataCorrupted),
        "postgres index corrupted wrapped" => new InvalidOperationException("search failed", new PostgresException("index is corrupted", "ERROR", "ERROR", PostgresErrorCodes.IndexCorrupted)),
        _ => throw new ArgumentOutOfRangeException(nameof(failure), failure, null),
    };
}
