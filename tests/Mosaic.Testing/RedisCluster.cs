using System.Globalization;

namespace Mosaic.Testing;

/// <summary>A real Redis Cluster for tests: N <c>redis-server --cluster-enabled yes</c> masters (no replicas) on free
/// 127.0.0.1 ports, joined with <c>redis-cli --cluster create</c>, each a <see cref="RedisServer"/> the test may kill.</summary>
public sealed class RedisCluster : IAsyncDisposable
{
    private RedisCluster(IReadOnlyList<RedisServer> masters) => Masters = masters;

    public IReadOnlyList<RedisServer> Masters { get; }

    /// <summary>Every master's address, comma-separated: the value of <c>Mosaic:Redis</c>.</summary>
    public string ConnectionString => string.Join(",", Masters.Select(m => m.ConnectionString));

    /// <summary>Starts <paramref name="masters"/> nodes, creates the cluster (16384 slots split among them) and waits until
    /// every node reports <c>cluster_state:ok</c>.</summary>
    public static async Task<RedisCluster> StartAsync(int masters = 3)
    {
        var nodes = new List<RedisServer>();
        try
        {
            for (int i = 0; i < masters; i++)
            {
                // A short node timeout: a killed master is marked failed (and the cluster down) within seconds.
                nodes.Add(await RedisServer.StartAsync("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000").ConfigureAwait(false));
            }

            var create = await ChildProcess.RunAsync(
                "redis-cli",
                ["--cluster", "create", .. nodes.Select(n => n.ConnectionString), "--cluster-replicas", "0", "--cluster-yes"],
                TimeSpan.FromSeconds(60)).ConfigureAwait(false);
            if (create.ExitCode != 0)
            {
                throw new InvalidOperationException($"redis-cli --cluster create exited with {create.ExitCode}:\n{create.Output}");
            }

            var cluster = new RedisCluster(nodes);
            await Wait.WaitUntilAsync(
                async () => (await Task.WhenAll(nodes.Select(n => n.SendAsync("CLUSTER INFO"))).ConfigureAwait(false)).All(info => info.Contains("cluster_state:ok", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(60),
                $"every node of the Redis Cluster {cluster.ConnectionString} reports cluster_state:ok").ConfigureAwait(false);
            return cluster;
        }
        catch
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>Keys held by the running masters together.</summary>
    public async Task<long> KeyCountAsync()
    {
        long total = 0;
        foreach (var node in Masters.Where(m => m.IsRunning))
        {
            total += await node.KeyCountAsync().ConfigureAwait(false);
        }

        return total;
    }

    /// <summary>The running masters that hold <paramref name="key"/> (one, in a healthy cluster).</summary>
    public async Task<List<RedisServer>> HoldersAsync(string key)
    {
        var holders = new List<RedisServer>();
        foreach (var node in Masters.Where(m => m.IsRunning))
        {
            // EXISTS on a node that does not own the slot answers -MOVED, which is not ":1".
            if ((await node.SendAsync($"EXISTS {key}").ConfigureAwait(false)).StartsWith(":1", StringComparison.Ordinal))
            {
                holders.Add(node);
            }
        }

        return holders;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"Redis Cluster of {Masters.Count} masters ({ConnectionString})");

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Masters)
        {
            await node.DisposeAsync().ConfigureAwait(false);
        }
    }
}
