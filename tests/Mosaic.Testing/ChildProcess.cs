using System.Diagnostics;
using System.Text;

namespace Mosaic.Testing;

/// <summary>Runs a tool (initdb, pg_ctl, createdb, chown…) to completion and captures its output.</summary>
public static class ChildProcess
{
    /// <summary>Runs <paramref name="fileName"/>; kills it and throws <see cref="TimeoutException"/> past <paramref name="timeout"/>.</summary>
    public static async Task<ChildProcessResult> RunAsync(string fileName, IReadOnlyList<string> args, TimeSpan timeout, string? workingDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            // A tool run as another user (runuser) may not be allowed into the test's own directory.
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {fileName}");
        var output = new StringBuilder();
        var stdout = PumpAsync(process.StandardOutput, output);
        var stderr = PumpAsync(process.StandardError, output);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', args)} did not finish within {timeout.TotalSeconds:0} s:\n{output}");
        }

        await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
        lock (output)
        {
            return new ChildProcessResult(process.ExitCode, output.ToString());
        }
    }

    private static async Task PumpAsync(StreamReader reader, StringBuilder sink)
    {
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            lock (sink)
            {
                sink.AppendLine(line);
            }
        }
    }
}

/// <summary>Exit code and combined stdout/stderr of a finished tool.</summary>
public sealed record ChildProcessResult(int ExitCode, string Output);
