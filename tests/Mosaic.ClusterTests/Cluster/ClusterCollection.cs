using Mosaic.Testing;
using Xunit;

namespace Mosaic.ClusterTests.Cluster;

/// <summary>
/// The cluster scenarios of the failure and read paths (and operations, access) run one at a time in this lane, beside
/// the elasticity, gateway and embedding scenarios of <see cref="SecondClusterCollection"/>.
/// </summary>
/// <remarks>
/// Two lanes, not one and not more: most of a scenario's time is waiting (leases to expire, placement to act, replicas to
/// catch up), so two at once take about half the wall time on CI's 2 cores, while every scenario has been run beside
/// other suites at load averages of 30-60 without failing. Each lane has its own PostgreSQL server because scenarios stop
/// and restart theirs (store outages).
/// </remarks>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterPostgres>
{
    public const string Name = "cluster";
}

/// <summary>The second lane of cluster scenarios (elasticity, gateway, embedding, fuzz): see <see cref="ClusterCollection"/>.</summary>
[CollectionDefinition(Name)]
public sealed class SecondClusterCollection : ICollectionFixture<ClusterPostgres>
{
    public const string Name = "cluster-2";
}

/// <summary>The PostgreSQL server the cluster scenarios of one lane share; <see cref="NewDatabaseAsync"/> gives each its own store.</summary>
public sealed class ClusterPostgres : IAsyncLifetime
{
    private int _databases;

    public PostgresServer Server { get; private set; } = null!;

    public Task<string> NewDatabaseAsync() => Server.CreateDatabaseAsync($"cluster_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}"[..30]);

    public async Task InitializeAsync() => Server = await PostgresServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
