using Mosaic.Testing;
using Xunit;

namespace Mosaic.ClusterTests.Store;

/// <summary>One real PostgreSQL per test class; each test makes its own database.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private int _databases;

    public PostgresServer Server { get; private set; } = null!;

    public Task<string> NewDatabaseAsync() => Server.CreateDatabaseAsync($"t{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}"[..24]);

    public async Task InitializeAsync() => Server = await PostgresServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
