using System.Data.Common;
using Microsoft.Data.Sqlite;
using Mosaic.Core.Changes;
using Mosaic.Core.Placement;
using Mosaic.Core.Seams;
using Mosaic.Store.Sqlite;
using Mosaic.Testing;
using Npgsql;
using Xunit;

namespace Mosaic.ClusterTests.Store;

/// <summary>
/// A node's data disk is stored with each renewal, in both stores, and a store made before disks were reported (the nodes
/// table without the columns, a node in it) gains them when it is opened: the old row lists with no disk.
/// </summary>
[Collection(StoreCollection.Name)]
public sealed class NodeDiskTests(PostgresFixture postgres)
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly string[] Columns = ["disk_free_bytes", "disk_total_bytes", "disk_floor_bytes"];

    [Fact]
    public async Task A_postgres_store_from_before_disks_gains_the_columns_and_keeps_each_renewal_s_disk()
    {
        string cs = await postgres.NewDatabaseAsync();
        await using (var old = Stores.Open(cs))
        {
            await old.RenewAsync("w-old", NodeRole.Worker, "http://127.0.0.1:7001", Lease, None);
        }

        await using (var connection = new NpgsqlConnection(cs))
        {
            await connection.OpenAsync();
            await DropDiskColumnsAsync(connection);
        }

        await using var store = Stores.Open(cs);
        await CheckAsync(store);
    }

    [Fact]
    public async Task A_sqlite_store_from_before_disks_gains_the_columns_and_keeps_each_renewal_s_disk()
    {
        using var dir = new TempDirectory();
        string path = dir.Combine("store.db");
        using (var old = new SqliteStore(new SqliteStoreOptions(path), new ChangeSignal()))
        {
            await old.RenewAsync("w-old", NodeRole.Worker, "http://127.0.0.1:7001", Lease, None);
        }

        await using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString()))
        {
            await connection.OpenAsync();
            await DropDiskColumnsAsync(connection);
        }

        using var store = new SqliteStore(new SqliteStoreOptions(path), new ChangeSignal());
        await CheckAsync(store);
    }

    private static async Task CheckAsync(INodeRegistry store)
    {
        Assert.Null((await store.ListNodesAsync(None)).Single(n => n.NodeId == "w-old").Disk);

        var low = new NodeDisk(FreeBytes: 5L << 30, TotalBytes: 100L << 30, FloorBytes: 10L << 30);
        await store.RenewAsync("w-low", NodeRole.Worker, "http://127.0.0.1:7002", Lease, None, disk: low);
        await store.RenewAsync("w-ok", NodeRole.Worker, "http://127.0.0.1:7003", Lease, None, disk: low with { FreeBytes = 50L << 30 });
        var nodes = (await store.ListNodesAsync(None)).ToDictionary(n => n.NodeId);
        Assert.Equal(low, nodes["w-low"].Disk);
        Assert.True(nodes["w-low"].DiskLow);
        Assert.False(nodes["w-ok"].DiskLow);

        // Every renewal replaces it: room made on the disk shows at the next one.
        await store.RenewAsync("w-low", NodeRole.Worker, "http://127.0.0.1:7002", Lease, None, disk: low with { FreeBytes = 20L << 30 });
        Assert.False((await store.ListNodesAsync(None)).Single(n => n.NodeId == "w-low").DiskLow);
    }

    /// <summary>Makes the nodes table as an older version created it.</summary>
    private static async Task DropDiskColumnsAsync(DbConnection connection)
    {
        foreach (string column in Columns)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"ALTER TABLE nodes DROP COLUMN {column}";
            await command.ExecuteNonQueryAsync();
        }
    }
}
