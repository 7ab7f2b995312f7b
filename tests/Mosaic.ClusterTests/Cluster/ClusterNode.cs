using System.Globalization;
using System.Net;
using Mosaic.Testing;

namespace Mosaic.ClusterTests.Cluster;

/// <summary>One <c>mosaic worker</c> or <c>mosaic coordinator</c> child process of a <see cref="ClusterHarness"/>.</summary>
/// <remarks>
/// The port and data directory are fixed at creation, so <see cref="StartAsync"/> after <see cref="Kill"/> or
/// <see cref="TerminateAsync"/> restarts the same node (same node id, same shard files). Each start writes its own log
/// file (<c>worker-1.log</c>, <c>worker-1.2.log</c>, ...), so a test can read what one start printed.
/// </remarks>
public sealed class ClusterNode : IAsyncDisposable
{
    private readonly string _logDirectory;
    private readonly IReadOnlyList<string> _args;
    private MosaicProcess? _process;

    internal ClusterNode(string role, int index, int port, string? dataDir, string logDirectory, IReadOnlyList<string> args, int? metricsPort = null)
    {
        Role = role;
        MetricsPort = metricsPort ?? port;
        Index = index;
        Port = port;
        DataDir = dataDir;
        _logDirectory = logDirectory;
        _args = args;
    }

    /// <summary>"worker" or "coordinator".</summary>
    public string Role { get; }

    public int Index { get; }

    public int Port { get; }

    /// <summary>Where it serves GET /metrics over HTTP/1.1: a worker's own metrics port, a coordinator's main port.</summary>
    public int MetricsPort { get; }

    public string MetricsUrl => $"http://127.0.0.1:{MetricsPort}/metrics";

    /// <summary>The worker's data directory (null for a coordinator).</summary>
    public string? DataDir { get; }

    /// <summary>The node id the cluster knows it by: its advertised host:port.</summary>
    public string Name => $"127.0.0.1:{Port}";

    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>How many times it was started.</summary>
    public int Starts { get; private set; }

    /// <summary>The log file of the latest start.</summary>
    public string LogPath => Path.Combine(_logDirectory, Starts <= 1 ? $"{Role}-{Index}.log" : $"{Role}-{Index}.{Starts}.log");

    /// <summary>True while the process of the latest start runs (a SIGSTOPped one counts as running).</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>True between <see cref="Hang"/> and <see cref="Resume"/>.</summary>
    public bool IsHung { get; private set; }

    public int Pid => _process?.Id ?? throw new InvalidOperationException($"{this} is not running");

    /// <summary>Starts the process and waits until it answers GET /health (HTTP/2 for a worker: it speaks gRPC only).</summary>
    public async Task StartAsync(TimeSpan timeout)
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"{this} is already running");
        }

        if (_process is not null)
        {
            await _process.DisposeAsync().ConfigureAwait(false);
        }

        Starts++;
        IsHung = false;
        var process = MosaicProcess.Start(_args, LogPath);
        _process = process;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await Wait.WaitUntilAsync(
            async () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidProgramException($"{this} exited before it was healthy\n{process.LogTail()}");
                }

                using var request = new HttpRequestMessage(HttpMethod.Get, $"{Url}/health");
                if (Role == "worker")
                {
                    // Plain-text HTTP/2 with prior knowledge (h2c): the worker's port has no HTTP/1.1.
                    request.Version = HttpVersion.Version20;
                    request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
                }

                using var response = await http.SendAsync(request).ConfigureAwait(false);
                return response.StatusCode == HttpStatusCode.OK;
            },
            timeout,
            $"{this} answers GET /health").ConfigureAwait(false);
    }

    /// <summary>kill -9: the process gets no chance to leave the cluster, flush or save anything.</summary>
    public void Kill() => _process?.Kill();

    /// <summary>SIGTERM, then waits for a graceful exit (killed with SIGKILL if it takes longer than <paramref name="timeout"/>).</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        var process = _process ?? throw new InvalidOperationException($"{this} was never started");
        return await process.StopAsync(timeout).ConfigureAwait(false);
    }

    /// <summary>SIGSTOP: the process stays, holds its sockets and its lease row, and answers nothing.</summary>
    public void Hang()
    {
        Signals.Send(Pid, Signals.Stop);
        IsHung = true;
    }

    /// <summary>SIGCONT after <see cref="Hang"/>.</summary>
    public void Resume()
    {
        Signals.Send(Pid, Signals.Cont);
        IsHung = false;
    }

    /// <summary>The whole log of the latest start.</summary>
    public string LogText() => _process?.LogText() ?? "";

    public string LogTail(int lines = 40) => MosaicProcess.ReadTail(LogPath, lines);

    public override string ToString() => $"{Role} {Index} ({Name}{(_process is null ? "" : ", pid " + _process.Id.ToString(CultureInfo.InvariantCulture))})";

    public async ValueTask DisposeAsync()
    {
        if (_process is null)
        {
            return;
        }

        if (IsHung && IsRunning)
        {
            // SIGKILL ends a stopped process too, but let it run so nothing waits on it while it dies.
            Signals.Send(_process.Id, Signals.Cont);
            IsHung = false;
        }

        await _process.DisposeAsync().ConfigureAwait(false);
        _process = null;
    }
}
