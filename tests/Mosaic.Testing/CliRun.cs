namespace Mosaic.Testing;

/// <summary>Runs a one-shot <c>mosaic</c> command (e.g. <c>import</c>) to completion and captures its output.</summary>
public static class CliRun
{
    public static async Task<CliResult> RunAsync(IReadOnlyList<string> args, string logPath, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        await using var process = MosaicProcess.Start(args, logPath, environment);
        var exitCode = await process.WaitForExitAsync(timeout).ConfigureAwait(false);
        // Only what the CLI itself printed: the runner's own "test|" lines echo the arguments and would satisfy any "names X" check.
        var printed = process.LogText().Split('\n').Where(l => !l.StartsWith("test| ", StringComparison.Ordinal));
        return new CliResult(exitCode, string.Join('\n', printed), string.Join(' ', args));
    }
}

/// <summary>The exit code and combined output (lines prefixed "out|" / "err|") of a finished CLI run.</summary>
public sealed record CliResult(int ExitCode, string Output, string Arguments)
{
    public string Describe() => $"mosaic {Arguments} -> exit {ExitCode}\n{Output}";

    /// <summary>What the CLI wrote to stdout, line by line (without the "out|" prefix).</summary>
    public IReadOnlyList<string> Stdout => Output.Split('\n').Where(l => l.StartsWith("out| ", StringComparison.Ordinal)).Select(l => l[5..].TrimEnd('\r')).ToList();
}
