using Microsoft.Data.Sqlite;
using Mosaic.Store;
using Npgsql;
using Xunit;

namespace Mosaic.Tests.Store;

/// <summary>Which store failures are a full disk (507: free space, then retry) and which a store that cannot be reached (503).</summary>
public sealed class StoreFailuresTests
{
    public static TheoryData<string, bool, bool> Failures() => new()
    {
        { "sqlite full", true, true },
        { "sqlite busy", false, true },
        { "sqlite constraint", false, false },
        { "postgres disk full", true, false },
        { "postgres admin shutdown", false, true },
        { "enospc", true, false },
        { "enospc wrapped", true, false },
        { "other io error", false, false },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void A_full_disk_is_told_apart_from_an_unreachable_store(string failure, bool outOfSpace, bool unavailable)
    {
        var error = Make(failure);
        Assert.Equal(outOfSpace, StoreFailures.IsOutOfSpace(error));
        Assert.Equal(unavailable, StoreFailures.IsUnavailable(error));
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
        _ => throw new ArgumentOutOfRangeException(nameof(failure), failure, null),
    };
}
