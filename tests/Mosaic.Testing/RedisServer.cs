using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Mosaic.Testing;

/// <summary>A real Redis server for tests: Debian's <c>redis-server</c> on a free 127.0.0.1 port, its files in a temp dir.</summary>
/// <remarks>
/// <para>
/// Nothing is persisted (no RDB, no AOF) unless the test asks through <c>extraArgs</c>, so a restart after
/// <see cref="KillAsync"/> comes back empty, like a cache node that lost its memory. The server is our child process;
/// <see cref="KillAsync"/> is SIGKILL, <see cref="Pause"/>/<see cref="Resume"/> are SIGSTOP/SIGCONT (a server that accepts
/// connections and answers nothing, the "slow Redis" case).
/// </para>
/// <para>The binary comes from MOSAIC_REDIS_SERVER, else <c>redis-server</c> on PATH (test.sh installs Debian's).</para>
/// </remarks>
public sealed class RedisServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly TempDirectory _dir;
    private readonly IReadOnlyList<string> _extraArgs;
    private Process? _process;

    private RedisServer(TempDirectory dir, IReadOnlyList<string> extraArgs)
    {
        _dir = dir;
        _extraArgs = extraArgs;
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    public int Port { get; private set; }

    /// <summary>The StackExchange.Redis configuration string for this server (the value of <c>Mosaic:Redis</c>).</summary>
    public string ConnectionString => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");

    public string Directory => _dir.Path;

    public string LogPath => _dir.Combine("redis.log");

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The server's pid while it runs.</summary>
    public int? ProcessId => IsRunning ? _process!.Id : null;

    /// <summary>Starts a fresh server on a free port and waits until it answers PING.</summary>
    /// <param name="extraArgs">More <c>redis-server</c> arguments, e.g. <c>--cluster-enabled yes</c>.</param>
    public static async Task<RedisServer> StartAsync(params string[] extraArgs)
    {
        var server = new RedisServer(new TempDirectory("mosaic-redis"), extraArgs);
        try
        {
            for (int attempt = 1; ; attempt++)
            {
                // The port was free a moment ago; another process may take it before the server binds, so try a few.
                server.Port = FreePort.Next();
                try
                {
                    await server.StartAgainAsync().ConfigureAwait(false);
                    return server;
                }
                catch (InvalidOperationException) when (attempt < 5)
                {
                }
            }
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Starts the server again on the same port and directory (after <see cref="KillAsync"/> or <see cref="StopAsync"/>).</summary>
    public async Task StartAgainAsync()
    {
        if (IsRunning)
        {
            return;
        }

        var info = new ProcessStartInfo(Binary())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _dir.Path,
        };
        foreach (var arg in (string[])[
            "--port", Port.ToString(CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1",
            "--protected-mode", "no",
            "--daemonize", "no",
            "--dir", _dir.Path,
            "--logfile", LogPath,
            "--save", "",
            "--appendonly", "no",
            .. _extraArgs])
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start redis-server");
        // Nothing is written there (it logs to a file), but unread pipes must never block it.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        try
        {
            await Wait.WaitUntilAsync(
                async () => process.HasExited
                    ? throw new InvalidOperationException($"redis-server exited with {process.ExitCode} on port {Port}:\n{ReadLog()}")
                    : await PingAsync().ConfigureAwait(false),
                StartTimeout,
                $"redis-server on {ConnectionString} answers PING").ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            _process = null;
            process.Dispose();
            throw;
        }
    }

    /// <summary>A crash: SIGKILL, then waits until the process is gone. Everything in memory is lost.</summary>
    public async Task KillAsync()
    {
        if (_process is not { } process)
        {
            return;
        }

        if (!process.HasExited)
        {
            process.Kill();
        }

        await process.WaitForExitAsync().ConfigureAwait(false);
        process.Dispose();
        _process = null;
    }

    /// <summary>A clean stop (SHUTDOWN NOSAVE), falling back to <see cref="KillAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_process is not { HasExited: false } process)
        {
            await KillAsync().ConfigureAwait(false);
            return;
        }

        try
        {
            await SendAsync("SHUTDOWN NOSAVE").ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            // The server closes the connection as it exits.
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        await KillAsync().ConfigureAwait(false);
    }

    /// <summary>SIGSTOP: the server keeps its port and connections but answers nothing until <see cref="Resume"/>.</summary>
    public void Pause() => Signal("STOP");

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Resume() => Signal("CONT");

    /// <summary>Runs one command (inline syntax, e.g. <c>DBSIZE</c>) and returns the raw RESP reply.</summary>
    public async Task<string> SendAsync(string command)
    {
        using var client = new TcpClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await client.ConnectAsync("127.0.0.1", Port, cts.Token).ConfigureAwait(false);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes(command + "\r\n"), cts.Token).ConfigureAwait(false);
        var buffer = new byte[64 * 1024];
        int read = await stream.ReadAsync(buffer, cts.Token).ConfigureAwait(false);
        return Encoding.UTF8.GetString(buffer, 0, read);
    }

    /// <summary>The number of keys in database 0 (DBSIZE).</summary>
    public async Task<long> KeyCountAsync()
    {
        var reply = await SendAsync("DBSIZE").ConfigureAwait(false);
        return reply.StartsWith(':')
            ? long.Parse(reply.AsSpan(1).Trim(), CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"DBSIZE answered {reply}");
    }

    /// <summary>The server log, for failure messages.</summary>
    public string ReadLog()
    {
        try
        {
            return File.Exists(LogPath) ? File.ReadAllText(LogPath) : "(no log)";
        }
        catch (IOException ex)
        {
            return $"(log unreadable: {ex.Message})";
        }
    }

    public async ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        if (_process is { HasExited: false })
        {
            // A paused server must be able to die: SIGKILL works on a stopped process too.
            await KillAsync().ConfigureAwait(false);
        }

        _process?.Dispose();
        _process = null;
        _dir.Dispose();
    }

    private async Task<bool> PingAsync()
    {
        try
        {
            return (await SendAsync("PING").ConfigureAwait(false)).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    private void Signal(string signal)
    {
        var pid = ProcessId ?? throw new InvalidOperationException("redis-server is not running");
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, pid.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })
            ?? throw new InvalidOperationException("could not run kill");
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {pid} exited with {kill.ExitCode}");
        }
    }

    private static string Binary()
    {
        var fromEnv = Environment.GetEnvironmentVariable("MOSAIC_REDIS_SERVER");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return fromEnv;
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "redis-server"))
            .FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("redis-server not found on PATH (MOSAIC_REDIS_SERVER unset): apt-get install redis-server (./test.sh does it)");
    }

    private void OnProcessExit(object? sender, EventArgs e)
    {
        // Last resort when a test host exits without disposing: never leave a server running behind it.
        try
        {
            if (_process is { HasExited: false } process)
            {
                process.Kill();
            }
        }
        catch (InvalidOperationException)
        {
        }
    }
}
