using System.Diagnostics;
using System.Text;

namespace Mosaic.ClusterTests.Operations;

/// <summary>Debian's <c>chromium</c>, headless, in a throwaway profile: the DOM a page's scripts leave, and screenshots.</summary>
/// <remarks>
/// <c>--virtual-time-budget</c> lets the page's timers run (its polls) for that much virtual time; network fetches pause
/// virtual time, so the page has its data before the DOM is dumped. <c>--no-sandbox</c>: tests may run as root.
/// </remarks>
public static class HeadlessChromium
{
    /// <summary>The serialized DOM of <paramref name="url"/> after its scripts ran for <paramref name="budget"/> of virtual time.</summary>
    public static async Task<string> DumpDomAsync(string url, string profileDir, TimeSpan budget) =>
        (await RunAsync(profileDir, ["--dump-dom", $"--virtual-time-budget={(int)budget.TotalMilliseconds}", url])).Stdout;

    /// <summary>Saves a PNG of <paramref name="url"/> as a laptop screen shows it (1366×900).</summary>
    public static async Task ScreenshotAsync(string url, string profileDir, string pngPath, TimeSpan budget)
    {
        var run = await RunAsync(profileDir, ["--hide-scrollbars", "--window-size=1366,900", $"--virtual-time-budget={(int)budget.TotalMilliseconds}", $"--screenshot={pngPath}", url]);
        if (!File.Exists(pngPath) || new FileInfo(pngPath).Length == 0)
        {
            throw new InvalidOperationException($"chromium wrote no screenshot to {pngPath}:\n{run.Stderr}");
        }
    }

    private static async Task<(string Stdout, string Stderr)> RunAsync(string profileDir, IReadOnlyList<string> args)
    {
        var info = new ProcessStartInfo("chromium")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in (string[])["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", $"--user-data-dir={profileDir}", .. args])
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start chromium");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"chromium {string.Join(' ', args)} did not finish within 90 s:\n{await stderr}");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"chromium {string.Join(' ', args)} exited with {process.ExitCode}:\n{await stderr}");
        }

        return (await stdout, await stderr);
    }
}
