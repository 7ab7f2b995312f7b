using System.Diagnostics;
using System.Net;
using System.Text;

namespace Mosaic.Testing;

/// <summary>A <c>mosaic</c> CLI child process (<c>dotnet Mosaic.Cli.dll ...</c>) whose stdout and stderr go to a log file.</summary>
/// <remarks>
/// The CLI assembly is found next to the test assembly (a project reference copies it there), or at MOSAIC_CLI_DLL.
/// <see cref="Kill"/> kills the whole process tree, which on Linux is SIGKILL: the process gets no chance to flush or clean up.
/// </remarks>
public sealed class MosaicProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly object _logLock = new();
    private bool _logClosed;

    private MosaicProcess(Process process, StreamWriter log, string logPath, string arguments)
    {
        _process = process;
        _log = log;
        LogPath = logPath;
        Arguments = arguments;
    }

    public string LogPath { get; }
    public string Arguments { get; }
    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public int? Port { get; private set; }
    public string BaseUrl => $"http://127.0.0.1:{Port}";

    /// <summary>The path of Mosaic.Cli.dll used for child processes.</summary>
    public static string CliDll
    {
        get
        {
            var fromEnv = Environment.GetEnvironmentVariable("MOSAIC_CLI_DLL");
            return string.IsNullOrEmpty(fromEnv) ? Path.Combine(AppContext.BaseDirectory, "Mosaic.Cli.dll") : fromEnv;
        }
    }

    /// <summary>Starts <c>mosaic serve --port N --data DIR</c> on a free port and waits until GET /health answers 200.</summary>
    public static Task<MosaicProcess> StartServeAsync(string dataDir, string logPath, TimeSpan? startTimeout = null, params string[] extraArgs) =>
        StartOnFreePortAsync("serve", ["--data", dataDir, .. extraArgs], logPath, "health", startTimeout);

    /// <summary>Starts <c>mosaic gateway --port N</c> with <paramref name="args"/> on a free port and waits until GET /ready
    /// answers 200 (some backend passes its health checks).</summary>
    public static Task<MosaicProcess> StartGatewayAsync(string logPath, params string[] args) =>
        StartOnFreePortAsync("gateway", args, logPath, "ready", null);

    private static async Task<MosaicProcess> StartOnFreePortAsync(string verb, IReadOnlyList<string> args, string logPath, string probe, TimeSpan? startTimeout)
    {
        var port = FreePort.Next();
        var process = Start([verb, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. args], logPath);
        process.Port = port;
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            await Wait.WaitUntilAsync(
                async () =>
                {
                    if (process.HasExited)
                    {
                        throw new InvalidProgramException($"mosaic {verb} exited with code {process._process.ExitCode} before it was up.\n{process.LogTail()}");
                    }

                    using var response = await http.GetAsync($"{process.BaseUrl}/{probe}").ConfigureAwait(false);
                    return response.StatusCode == HttpStatusCode.OK;
                },
                startTimeout ?? TimeSpan.FromSeconds(60),
                $"GET {process.BaseUrl}/{probe} == 200").ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException)
        {
            var tail = process.LogTail();
            await process.DisposeAsync().ConfigureAwait(false);
            throw new TimeoutException($"{ex.Message}\n--- log tail ({logPath}) ---\n{tail}", ex);
        }
        catch
        {
            await process.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return process;
    }

    /// <summary>Starts the CLI with the given arguments, logging both streams to <paramref name="logPath"/>.</summary>
    /// <param name="environment">Extra environment variables for the child (e.g. MOSAIC_API_KEY).</param>
    public static MosaicProcess Start(IReadOnlyList<string> args, string logPath, IReadOnlyDictionary<string, string>? environment = null)
    {
        var dll = CliDll;
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"Mosaic.Cli.dll not found at {dll}", dll);
        }

        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(logPath) ?? Path.GetTempPath(),
        };
        info.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["NO_COLOR"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite), Encoding.UTF8) { AutoFlush = true };
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var arguments = string.Join(' ', args);
        var result = new MosaicProcess(process, log, logPath, arguments);
        process.OutputDataReceived += (_, e) => result.Append("out", e.Data);
        process.ErrorDataReceived += (_, e) => result.Append("err", e.Data);
        result.Append("test", $"starting: dotnet {dll} {arguments}");
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return result;
    }

    /// <summary>Kills the process tree at once (SIGKILL on Linux) and waits for it to be gone.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            Append("test", "kill -9 (entire process tree)");
            _process.Kill(entireProcessTree: true);
        }

        _process.WaitForExit();
    }

    /// <summary>A clean stop: SIGTERM, then the exit code once the process is gone (killed, with a throw, past <paramref name="timeout"/>).</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        Append("test", "SIGTERM");
        var term = await ChildProcess.RunAsync("kill", ["-TERM", Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        if (term.ExitCode != 0 && !HasExited)
        {
            throw new InvalidOperationException($"kill -TERM {Id} failed: {term.Output}");
        }

        return await WaitForExitAsync(timeout).ConfigureAwait(false);
    }

    /// <summary>Waits for the process to exit on its own; kills it and throws after <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException($"mosaic {Arguments} did not exit within {timeout.TotalSeconds:0} s\n{LogTail()}");
        }

        // The parameterless wait also drains the redirected streams.
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>The last <paramref name="lines"/> lines of the log file.</summary>
    public string LogTail(int lines = 60) => ReadTail(LogPath, lines);

    /// <summary>The whole log (both streams, prefixed "out|"/"err|").</summary>
    public string LogText()
    {
        lock (_logLock)
        {
            return ReadAll(LogPath);
        }
    }

    public static string ReadTail(string path, int lines)
    {
        var all = ReadAll(path).Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            Kill();
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }

        lock (_logLock)
        {
            _logClosed = true;
            _log.Dispose();
        }

        _process.Dispose();
        await Task.CompletedTask.ConfigureAwait(false);
    }

    private static string ReadAll(string path)
    {
        if (!File.Exists(path))
        {
            return "";
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private void Append(string stream, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_logLock)
        {
            if (!_logClosed)
            {
                _log.WriteLine($"{stream}| {line}");
            }
        }
    }
}
