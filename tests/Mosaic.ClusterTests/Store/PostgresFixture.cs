using Mosaic.Testing;
using Xunit;

namespace Mosaic.ClusterTests.Store;

/// <summary>One real PostgreSQL shared by the store tests; each test makes its own database, so none sees another's rows.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private int _databases;

    public PostgresServer Server { get; private set; } = null!;

    /// <summary>A fresh, empty database on the shared server; its connection string.</summary>
    public Task<string> NewDatabaseAsync() => Server.CreateDatabaseAsync($"store_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}"[..32]);

    public async Task InitializeAsync() => Server = await PostgresServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
