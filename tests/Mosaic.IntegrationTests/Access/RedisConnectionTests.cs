using System.Globalization;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;

namespace Mosaic.IntegrationTests.Access;

/// <summary>
/// Redis is an accelerator, never a dependency: a node whose <c>Mosaic:Redis</c> is down, killed or restarted keeps
/// answering writes and searches. Also checks the <see cref="RedisServer"/> helper itself (kill, restart, pause).
/// </summary>
public sealed class RedisConnectionTests
{
    [Fact]
    public async Task RedisServer_KilledAndStartedAgain_ComesBackEmptyOnTheSamePort()
    {
        await using var redis = await RedisServer.StartAsync();
        int port = redis.Port;
        Assert.StartsWith("+OK", await redis.SendAsync("SET k v"), StringComparison.Ordinal);
        Assert.Equal(1, await redis.KeyCountAsync());

        await redis.KillAsync();
        Assert.False(redis.IsRunning);
        await redis.StartAgainAsync();

        Assert.Equal(port, redis.Port);
        Assert.Equal(0, await redis.KeyCountAsync());
    }

    [Fact]
    public async Task Node_WithRedisUnreachable_StartsAndServes()
    {
        // A port nothing listens on: the connect attempt fails, the node must start and serve regardless.
        string nowhere = string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{FreePort.Next()}");
        await using var server = await MosaicServer.StartAsync(new Dictionary<string, string?> { ["Mosaic:Redis"] = nowhere });
        await WriteAndSearchAsync(server.Http);
    }

    [Fact]
    public async Task Node_WhoseRedisIsKilledPausedAndRestarted_KeepsServing()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var server = await MosaicServer.StartAsync(new Dictionary<string, string?> { ["Mosaic:Redis"] = redis.ConnectionString });
        await WriteAndSearchAsync(server.Http);

        await redis.KillAsync();
        await WriteAndSearchAsync(server.Http);

        await redis.StartAgainAsync();
        redis.Pause();
        try
        {
            await WriteAndSearchAsync(server.Http);
        }
        finally
        {
            redis.Resume();
        }

        await WriteAndSearchAsync(server.Http);
    }

    [Fact]
    public async Task Node_WithMalformedRedisSetting_RefusesToStartNamingIt()
    {
        var ex = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(
            () => MosaicServer.StartAsync(new Dictionary<string, string?> { ["Mosaic:Redis"] = "127.0.0.1:6379,connectTimeout=soon" }));
        Assert.Contains("Mosaic:Redis", ex.Message, StringComparison.Ordinal);
    }

    private static async Task WriteAndSearchAsync(MosaicHttp http)
    {
        var c = Names.Unique("redis");
        await http.CreateCollectionAsync(c, new JsonObject { ["dimension"] = 0, ["shards"] = 2 });
        var token = await http.UpsertAsync(c, "d1", new JsonObject { ["text"] = "amber lantern" });
        var answer = await http.SearchAsync(c, new JsonObject { ["mode"] = "keyword", ["query"] = "lantern", ["consistency"] = new JsonObject { ["after"] = token } });
        Assert.Equal(["d1"], MosaicHttp.HitIds(answer));
    }
}
