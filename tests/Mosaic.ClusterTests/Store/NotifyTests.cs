using Mosaic.Core.Placement;
using Mosaic.Core.Changes;
using Mosaic.Store.Postgres;
using Npgsql;
using Xunit;

namespace Mosaic.ClusterTests.Store;

/// <summary>LISTEN/NOTIFY: a change committed through one store wakes the <see cref="ChangeSignal"/> waiters of every other.</summary>
/// <remarks>
/// Waiters wait with a 10-minute poll timeout, and the test gives them one minute: a waiter that returns did so because of
/// the notification, not because its poll came round. Only the signal of store B is watched, and B itself writes nothing.
/// </remarks>
[Collection(StoreCollection.Name)]
public sealed class NotifyTests(PostgresFixture postgres)
{
    private static readonly TimeSpan PollTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task A_write_through_one_store_wakes_a_waiter_of_another()
    {
        string cs = await postgres.NewDatabaseAsync();
        var signalB = new ChangeSignal();
        await using var a = Stores.Open(cs);
        await using var b = Stores.Open(cs, signalB);
        var (collection, _) = await SettledAsync(signalB, () => a.CreateAsync(Stores.Spec(), None));

        long before = await WakesAsync(signalB, () => a.WriteAsync(collection, Stores.Upsert("x", "hello")));

        Assert.True(signalB.Generation > before);
    }

    [Fact]
    public async Task Catalog_node_and_placement_changes_wake_other_stores_too()
    {
        string cs = await postgres.NewDatabaseAsync();
        var signalB = new ChangeSignal();
        await using var a = Stores.Open(cs);
        await using var b = Stores.Open(cs, signalB);
        await SettledAsync(signalB, () => b.ListAsync(None), notifies: false);

        var (collection, _) = (await WakesWithResultAsync(signalB, () => a.CreateAsync(Stores.Spec("woken"), None))).Result;
        await WakesAsync(signalB, () => a.AssignAsync(collection.Id, 0, "w1", None));
        await WakesAsync(signalB, () => a.ReportAsync(collection.Id, 0, "w1", new ReplicaReport(Core.Placement.ReplicaState.Serving, 0, 0, 0, 0), None));
        await WakesAsync(signalB, () => a.RenewAsync("w1", NodeRole.Worker, "http://127.0.0.1:1", TimeSpan.FromMinutes(1), None));
        // A renewal whose disk crossed its floor is news for placement too (a plain renewal of a live node is not).
        await WakesAsync(signalB, () => a.RenewAsync("w1", NodeRole.Worker, "http://127.0.0.1:1", TimeSpan.FromMinutes(1), None, disk: new NodeDisk(1, 100, 10)));
        await WakesAsync(signalB, () => a.LeaveAsync("w1", None));
        await WakesAsync(signalB, () => a.DeleteAsync("woken", None));
    }

    [Fact]
    public async Task The_listener_reconnects_after_its_connection_is_killed()
    {
        string cs = await postgres.NewDatabaseAsync();
        var signalB = new ChangeSignal();
        await using var a = Stores.Open(cs);
        await using var b = Stores.Open(cs, signalB);
        var (collection, _) = await SettledAsync(signalB, () => a.CreateAsync(Stores.Spec(), None));
        await using var admin = NpgsqlDataSource.Create(cs);
        var listeners = new HashSet<int>();
        await Mosaic.Testing.Wait.WaitUntilAsync(async () => (listeners = await ListenerPidsAsync(admin)).Count == 2, Guard, "both stores LISTEN");

        long beforeKill = signalB.Generation;
        await using (var kill = admin.CreateCommand($"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN {PostgresStore.Channel}'"))
        {
            await kill.ExecuteNonQueryAsync();
        }

        // Each listener signals once when it is back (LISTEN in place again), which also covers what it missed meanwhile.
        await Mosaic.Testing.Wait.WaitUntilAsync(
            async () => signalB.Generation > beforeKill && await ListenerPidsAsync(admin) is var now && now.Count == 2 && !now.Overlaps(listeners),
            Guard,
            "both stores LISTEN again, on new connections");

        await WakesAsync(signalB, () => a.WriteAsync(collection, Stores.Upsert("after", "reconnect")));
    }

    /// <summary>
    /// Waits until B listens (its listener signals once when LISTEN is in place), runs <paramref name="action"/>, and
    /// when the action announces itself waits for that notification to reach B, so that the next waiter starts clean.
    /// </summary>
    private static async Task<T> SettledAsync<T>(ChangeSignal signal, Func<Task<T>> action, bool notifies = true)
    {
        await Mosaic.Testing.Wait.WaitUntilAsync(() => signal.Generation > 0, Guard, "store B's LISTEN connection is up");
        long before = signal.Generation;
        var result = await action();
        if (notifies)
        {
            await Mosaic.Testing.Wait.WaitUntilAsync(() => signal.Generation > before, Guard, "the set-up change's notification reaches B");
        }

        return result;
    }

    private static async Task<long> WakesAsync(ChangeSignal signal, Func<Task> change) =>
        (await WakesWithResultAsync(signal, async () =>
        {
            await change();
            return 0;
        })).Before;

    /// <summary>Starts a waiter on B's signal, checks it is still waiting, makes the change through A, and requires the waiter to return with a newer generation.</summary>
    private static async Task<(long Before, T Result)> WakesWithResultAsync<T>(ChangeSignal signal, Func<Task<T>> change)
    {
        long before = signal.Generation;
        var waiter = signal.WaitAsync(before, PollTimeout, TimeProvider.System, None);
        Assert.False(waiter.IsCompleted, "B's waiter returned before the change was made");
        var result = await change();
        long after = await waiter.WaitAsync(Guard);
        Assert.True(after > before, $"the generation moved from {before}");
        return (before, result);
    }

    private static async Task<HashSet<int>> ListenerPidsAsync(NpgsqlDataSource admin)
    {
        await using var command = admin.CreateCommand($"SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN {PostgresStore.Channel}'");
        await using var reader = await command.ExecuteReaderAsync();
        var pids = new HashSet<int>();
        while (await reader.ReadAsync())
        {
            pids.Add(reader.GetInt32(0));
        }

        return pids;
    }
}
