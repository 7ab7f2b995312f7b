using Mosaic.Core.Changes;
using Mosaic.Testing;
using Xunit;

namespace Mosaic.ClusterTests.Store;

/// <summary>PostgreSQL itself crashes (SIGKILL to every server process) and comes back: acknowledged writes are all there, and the same store objects carry on.</summary>
/// <remarks>Uses its own server, since it kills it.</remarks>
[Collection(StoreCollection.Name)]
public sealed class RestartTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Acknowledged_writes_survive_a_database_crash_and_the_stores_recover_without_a_restart()
    {
        await using var server = await PostgresServer.StartAsync();
        string cs = await server.CreateDatabaseAsync();
        var signalB = new ChangeSignal();
        await using var a = Stores.Open(cs);
        await using var b = Stores.Open(cs, signalB);
        var (collection, _) = await a.CreateAsync(Stores.Spec(), None);
        var writes = Enumerable.Range(0, 50).Select(i => Stores.Upsert($"d{i}", $"text {i}")).ToArray();
        long acknowledged = 0;
        foreach (var chunk in writes.Chunk(5))
        {
            var (result, _) = await a.WriteAsync(collection, chunk);
            acknowledged += result!.Written;
        }

        await b.CountAsync(collection, None);
        long beforeCrash = signalB.Generation;

        await server.KillAsync();
        Assert.False(server.IsRunning);
        await server.StartAgainAsync();

        // Pooled connections died with the server; the stores notice, drop them and carry on.
        Assert.Equal(acknowledged, await b.CountAsync(collection, None));
        Assert.Equal(acknowledged, (await b.HeadsAsync(collection)).Values.Sum());
        foreach (var write in writes)
        {
            Assert.Equal(write.Document!.Text, (await b.GetAsync(collection, write.Id, None))?.Text);
        }

        var (after, _) = await a.WriteAsync(collection, Stores.Upsert("after-crash", "still writing"));
        Assert.Equal(1, after!.Written);
        // B's listener reconnected on its own (it signals when it is back) and hears A's writes again.
        await Wait.WaitUntilAsync(() => signalB.Generation > beforeCrash, TimeSpan.FromMinutes(1), "B's listener is back after the restart");
        long generation = signalB.Generation;
        var waiter = signalB.WaitAsync(generation, TimeSpan.FromMinutes(10), TimeProvider.System, None);
        await a.WriteAsync(collection, Stores.Upsert("heard", "by b"));
        Assert.True(await waiter.WaitAsync(TimeSpan.FromMinutes(1)) > generation);
    }
}
