using System.Globalization;
using Mosaic.ClusterTests.Cluster;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Access;

/// <summary>
/// Coordinators with keys on over a fresh PostgreSQL store (no workers: the key and limit scenarios need none), and the
/// store's first admin key, made offline with <c>mosaic keys create --role admin --store CONN</c>.
/// </summary>
internal sealed class KeyedCoordinators : IAsyncDisposable
{
    private readonly TempDirectory _dir;
    private readonly ITestOutputHelper _output;
    private readonly List<ClusterNode> _nodes = [];
    private readonly List<MosaicHttp> _http = [];

    private KeyedCoordinators(TempDirectory dir, ITestOutputHelper output, string admin)
    {
        _dir = dir;
        _output = output;
        Admin = admin;
    }

    public string Admin { get; }

    public IReadOnlyList<ClusterNode> Nodes => _nodes;

    /// <summary>A client of each coordinator that sends no key.</summary>
    public IReadOnlyList<MosaicHttp> Http => _http;

    /// <summary>Starts <paramref name="count"/> <c>mosaic coordinator --store</c> processes with keys on and <paramref name="args"/>.</summary>
    public static async Task<KeyedCoordinators> StartAsync(ClusterPostgres postgres, ITestOutputHelper output, int count, params string[] args)
    {
        string store = await postgres.NewDatabaseAsync();
        var dir = new TempDirectory("mosaic-keyed");
        var admin = await CliAsync(dir, output, ["keys", "create", "--role", "admin", "--store", store], null);
        var coordinators = new KeyedCoordinators(dir, output, admin.Stdout.Single());
        try
        {
            for (int i = 1; i <= count; i++)
            {
                int port = FreePort.Next();
                var node = new ClusterNode("coordinator", i, port, null, dir.Path,
                    ["coordinator", "--store", store, "--port", port.ToString(CultureInfo.InvariantCulture), "--Mosaic:Auth:Enabled=true", .. args]);
                coordinators._nodes.Add(node);
                await node.StartAsync(TimeSpan.FromSeconds(60));
                coordinators._http.Add(new MosaicHttp(node.Url, TimeSpan.FromSeconds(30)));
            }

            return coordinators;
        }
        catch
        {
            await coordinators.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs <c>mosaic</c> to success with <c>MOSAIC_API_KEY</c> set to <paramref name="key"/> (if any).</summary>
    public Task<CliResult> CliAsync(string[] args, string? key = null) => CliAsync(_dir, _output, args, key);

    /// <summary>The tail of every coordinator's log, for a failure.</summary>
    public void DumpLogs()
    {
        foreach (var node in _nodes)
        {
            _output.WriteLine($"--- {node} log tail\n{node.LogTail(30)}");
        }
    }

    public static Dictionary<string, string> Bearer(string key) => new() { ["Authorization"] = $"Bearer {key}" };

    private static async Task<CliResult> CliAsync(TempDirectory dir, ITestOutputHelper output, string[] args, string? key)
    {
        var result = await CliRun.RunAsync(args, dir.Combine($"cli-{Guid.NewGuid():N}.log"), TimeSpan.FromSeconds(60), key is null ? null : new Dictionary<string, string> { ["MOSAIC_API_KEY"] = key });
        output.WriteLine(result.Describe());
        Assert.True(result.ExitCode == 0, result.Describe());
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var http in _http)
        {
            http.Dispose();
        }

        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        _dir.Dispose();
    }
}
