using Mosaic.Testing;
using Xunit;

namespace Mosaic.ClusterTests.Cluster;

/// <summary>
/// The cluster scenarios run one at a time (each starts up to eight processes on a 2-core machine, and hedging and
/// lease expiry need the CPU they were tuned for) and share one PostgreSQL server, each in its own database.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection : ICollectionFixture<ClusterPostgres>
{
    public const string Name = "cluster";
}

/// <summary>The PostgreSQL server the cluster scenarios share; <see cref="NewDatabaseAsync"/> gives each its own store.</summary>
public sealed class ClusterPostgres : IAsyncLifetime
{
    private int _databases;

    public PostgresServer Server { get; private set; } = null!;

    public Task<string> NewDatabaseAsync() => Server.CreateDatabaseAsync($"cluster_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}"[..30]);

    public async Task InitializeAsync() => Server = await PostgresServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
