using Mosaic.Core.Seams;
using Mosaic.Testing;
using Npgsql;
using Xunit;

namespace Mosaic.ClusterTests.Store;

/// <summary>Idempotency keys in the PostgreSQL store expire after the retention: forgotten by look-ups, then swept.</summary>
[Collection(StoreCollection.Name)]
public sealed class IdempotencyRetentionTests(PostgresFixture postgres)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Keys_answer_inside_the_retention_then_are_swept_and_the_write_applies_again()
    {
        string cs = await postgres.NewDatabaseAsync();
        await using var store = Stores.Open(cs, idempotencyRetention: TimeSpan.FromSeconds(3));
        IIdempotencyStore keys = store;
        var (collection, _) = await store.CreateAsync(Stores.Spec(), None);

        var (first, _) = await store.WriteAsync(collection, [Stores.Upsert("a", "first")], "k1", r => $"answer {r.Token.Encode()}", None);
        await store.WriteAsync(collection, [Stores.Upsert("b", "other")], "k2", r => $"answer {r.Token.Encode()}", None);
        var (repeat, stored) = await store.WriteAsync(collection, [Stores.Upsert("a", "second")], "k1", r => "never", None);
        Assert.Null(repeat);
        Assert.Equal($"answer {first!.Token.Encode()}", stored);
        Assert.Equal("first", (await store.GetAsync(collection, "a", None))!.Text);
        Assert.Equal(2, await RowsAsync(cs));

        long swept = 0;
        await Wait.WaitUntilAsync(async () => (swept += await keys.SweepIdempotencyKeysAsync(None)) == 2, TimeSpan.FromSeconds(60), "both keys swept after the 3 s retention");
        Assert.Equal(0, await RowsAsync(cs));

        var (again, none) = await store.WriteAsync(collection, [Stores.Upsert("a", "second")], "k1", r => $"answer {r.Token.Encode()}", None);
        Assert.Null(none);
        Assert.Equal(1, again!.Written);
        Assert.Equal("second", (await store.GetAsync(collection, "a", None))!.Text);
        Assert.Equal(1, await RowsAsync(cs));
    }

    private static async Task<long> RowsAsync(string cs)
    {
        await using var connection = new NpgsqlConnection(cs);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM idempotency", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
