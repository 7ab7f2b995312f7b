using System.Net;
using Microsoft.Data.Sqlite;
using Mosaic.Testing;
using Xunit;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests.Access;

/// <summary>Idempotency keys expire: inside the retention a repeat answers the first result, after it the write applies
/// again, and the sweep deletes expired keys so the table shrinks.</summary>
public sealed class IdempotencyRetentionTests
{
    [Fact]
    public async Task Key_AnswersItsFirstResultInsideTheWindow_ThenIsSweptAndTheWriteAppliesAgain()
    {
        await using var server = await MosaicServer.StartAsync(new Dictionary<string, string?>
        {
            ["Mosaic:Coordinator:IdempotencyRetention"] = "00:00:04",
            ["Mosaic:Coordinator:IdempotencySweepInterval"] = "00:00:00.200",
        });
        var http = server.Http;
        var c = Names.Unique("retention");
        await http.CreateCollectionAsync(c, new { dimension = 0, shards = 2 });
        var key = new Dictionary<string, string> { ["Idempotency-Key"] = "retained" };

        var first = await http.UpsertAsync(c, "d1", Doc("first version"), key);
        var repeat = await http.UpsertAsync(c, "d1", Doc("second version"), key);
        Assert.Equal(first, repeat);
        Assert.Equal("first version", await TextAsync(http, c));
        foreach (var other in new[] { "k2", "k3", "k4" })
        {
            await http.UpsertAsync(c, other, Doc("other"), new Dictionary<string, string> { ["Idempotency-Key"] = other });
        }

        string store = Path.Combine(server.DataDir, "store.db");
        Assert.Equal(4, Keys(store));
        await Wait.WaitUntilAsync(() => Keys(store) == 0, TimeSpan.FromSeconds(60), "every idempotency key swept after the 4 s retention");

        var again = await http.UpsertAsync(c, "d1", Doc("second version"), key);
        Assert.NotEqual(first, again);
        Assert.Equal("second version", await TextAsync(http, c));
        Assert.Equal(1, Keys(store));
        Assert.Equal(again, await http.UpsertAsync(c, "d1", Doc("third version"), key));
    }

    private static async Task<string> TextAsync(MosaicHttp http, string c) =>
        (await http.GetAsync($"collections/{c}/docs/d1")).AssertStatus(HttpStatusCode.OK).Object["text"]!.GetValue<string>();

    /// <summary>Rows in the store's idempotency table, read from the real SQLite file beside the running server.</summary>
    private static long Keys(string store)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = store, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM idempotency";
        return (long)command.ExecuteScalar()!;
    }
}
