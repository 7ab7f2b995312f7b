using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Mosaic.Testing;

namespace Mosaic.ClusterTests.Operations;

/// <summary>A real Debian <c>prometheus</c> on a free port, scraping the given targets every second, with its own TSDB in a temp dir.</summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly StreamWriter _log;

    private PrometheusServer(Process process, int port, string logPath)
    {
        _process = process;
        _log = new StreamWriter(logPath) { AutoFlush = true };
        Url = $"http://127.0.0.1:{port}";
        LogPath = logPath;
    }

    public string Url { get; }

    public string LogPath { get; }

    /// <summary>Starts Prometheus with one job, "mosaic", whose targets are host:port pairs; waits until it is ready.</summary>
    public static async Task<PrometheusServer> StartAsync(string directory, IEnumerable<string> targets)
    {
        int port = FreePort.Next();
        string config = Path.Combine(directory, "prometheus.yml");
        string list = string.Join(", ", targets.Select(t => $"'{t}'"));
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 900ms
            scrape_configs:
              - job_name: mosaic
                static_configs:
                  - targets: [{list}]
            """);
        string log = Path.Combine(directory, "prometheus.log");
        var info = new ProcessStartInfo("prometheus")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(directory, "tsdb")}", $"--web.listen-address=127.0.0.1:{port}" })
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start prometheus");
        var server = new PrometheusServer(process, port, log);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await Wait.WaitUntilAsync(
            async () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"prometheus exited with {process.ExitCode}; see {log}");
                }

                try
                {
                    return (await server._http.GetAsync($"{server.Url}/-/ready")).IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(60),
            "prometheus /-/ready");
        return server;
    }

    /// <summary>An instant PromQL query (at <paramref name="at"/>, else now); the result vector's (labels, value) pairs.</summary>
    public async Task<IReadOnlyList<(JsonObject Labels, double Value)>> QueryAsync(string promql, DateTimeOffset? at = null)
    {
        string url = $"{Url}/api/v1/query?query={Uri.EscapeDataString(promql)}";
        if (at is { } t)
        {
            url += "&time=" + (t.ToUnixTimeMilliseconds() / 1000.0).ToString("F3", CultureInfo.InvariantCulture);
        }

        string body = await _http.GetStringAsync(url);
        var json = JsonNode.Parse(body)!.AsObject();
        if ((string?)json["status"] != "success")
        {
            throw new InvalidOperationException($"PromQL {promql}: {body}");
        }

        return json["data"]!["result"]!.AsArray().Select(r => (
            r!["metric"]!.AsObject(),
            double.Parse((string)r["value"]![1]!, CultureInfo.InvariantCulture))).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            if (_log.BaseStream is not null)
            {
                _log.WriteLine(line);
            }
        }
    }
}
