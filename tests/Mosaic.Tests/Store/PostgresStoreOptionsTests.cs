using Mosaic.Store.Postgres;
using Npgsql;
using Xunit;

namespace Mosaic.Tests.Store;

/// <summary>The connection string Mosaic uses for a multi-host (failover) store, and that one host is left alone.</summary>
public sealed class PostgresStoreOptionsTests
{
    [Fact]
    public void Several_hosts_ask_for_the_primary_and_recheck_hosts_quickly()
    {
        var effective = new NpgsqlConnectionStringBuilder(new PostgresStoreOptions("Host=pg1:5432,pg2:5433;Username=mosaic;Database=mosaic").EffectiveConnectionString);
        Assert.Equal("pg1:5432,pg2:5433", effective.Host);
        Assert.Equal("primary", effective.TargetSessionAttributes);
        Assert.Equal(PostgresStoreOptions.FailoverRecheckSeconds, effective.HostRecheckSeconds);
        Assert.Equal("mosaic", effective.Database);
    }

    [Fact]
    public void Settings_given_explicitly_are_kept()
    {
        var effective = new NpgsqlConnectionStringBuilder(new PostgresStoreOptions("Host=pg1,pg2;Target Session Attributes=read-write;Host Recheck Seconds=7").EffectiveConnectionString);
        Assert.Equal("read-write", effective.TargetSessionAttributes);
        Assert.Equal(7, effective.HostRecheckSeconds);
    }

    [Fact]
    public void One_host_is_used_as_given()
    {
        const string single = "Host=127.0.0.1;Port=5432;Username=postgres;Database=mosaic";
        Assert.Equal(single, new PostgresStoreOptions(single).EffectiveConnectionString);
    }
}
