using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Mosaic.Testing;

namespace Mosaic.ClusterTests.Gateway;

/// <summary>
/// Debian's real nginx as a child process in a temp dir, serving the shipped <c>deploy/nginx/mosaic.conf</c> with the
/// test's ports substituted: its listen port and, in order, the address of each <c>server</c> line of the upstream.
/// </summary>
/// <remarks>
/// One process (<c>master_process off</c>), so it runs as the test's user and dies with <see cref="DisposeAsync"/>. The
/// access log records each request's method, path, status and <c>$upstream_addr</c> (every upstream tried, comma-separated),
/// so a test sees exactly which requests nginx retried.
/// </remarks>
internal sealed partial class NginxServer : IAsyncDisposable
{
    private readonly TempDirectory _dir;
    private readonly Process _process;

    private NginxServer(TempDirectory dir, Process process, int port)
    {
        _dir = dir;
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    public string AccessLogPath => _dir.Combine("access.log");

    public string ErrorLogPath => _dir.Combine("error.log");

    /// <summary>The template as shipped (copied next to the test assembly).</summary>
    public static string Template => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "nginx", "mosaic.conf"));

    /// <summary>The template with <paramref name="port"/> as its listen port and <paramref name="upstreams"/> (host:port) replacing its server addresses in order.</summary>
    public static string Render(int port, IReadOnlyList<string> upstreams)
    {
        string text = Template;
        int servers = ServerLine().Matches(text).Count;
        if (servers != upstreams.Count)
        {
            throw new ArgumentException($"the template has {servers} upstream servers, the test gave {upstreams.Count}");
        }

        int next = 0;
        text = ServerLine().Replace(text, m => $"{m.Groups[1].Value}{upstreams[next++]}");
        return ListenLine().Replace(text, $"${{1}}127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)};");
    }

    public static async Task<NginxServer> StartAsync(IReadOnlyList<string> upstreams)
    {
        string nginx = new[] { "/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx" }.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException("nginx is not installed (test.sh installs Debian's nginx package)");
        var dir = new TempDirectory("mosaic-nginx");
        int port = FreePort.Next();
        await File.WriteAllTextAsync(dir.Combine("mosaic.conf"), Render(port, upstreams));
        string d = dir.Path;
        await File.WriteAllTextAsync(dir.Combine("nginx.conf"), $$"""
            daemon off;
            master_process off;
            worker_processes 1;
            pid {{d}}/nginx.pid;
            error_log {{d}}/error.log info;
            events { worker_connections 1024; }
            http {
                log_format upstreams '$request_method $uri $status "$upstream_addr"';
                access_log {{d}}/access.log upstreams;
                client_body_temp_path {{d}}/body;
                proxy_temp_path {{d}}/proxy;
                fastcgi_temp_path {{d}}/fastcgi;
                uwsgi_temp_path {{d}}/uwsgi;
                scgi_temp_path {{d}}/scgi;
                include {{d}}/mosaic.conf;
            }
            """);
        var info = new ProcessStartInfo(nginx) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "-p", d, "-c", dir.Combine("nginx.conf"), "-e", dir.Combine("error.log") })
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start nginx");
        var server = new NginxServer(dir, process, port);
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            await Wait.WaitUntilAsync(
                async () =>
                {
                    if (process.HasExited)
                    {
                        throw new InvalidOperationException($"nginx exited with {process.ExitCode}: {await process.StandardError.ReadToEndAsync()}\n{server.ErrorLog()}");
                    }

                    using var response = await http.GetAsync($"{server.Url}/health");
                    return response.IsSuccessStatusCode;
                },
                TimeSpan.FromSeconds(30),
                $"nginx on {server.Url} answers GET /health");
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>Access log lines: method, path, status, and the upstreams tried (comma-separated when nginx moved on).</summary>
    public IReadOnlyList<(string Method, string Path, int Status, string[] Upstreams)> AccessLog() =>
        ReadShared(AccessLogPath).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => AccessLine().Match(line))
            .Where(m => m.Success)
            .Select(m => (m.Groups[1].Value, m.Groups[2].Value, int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture),
                m.Groups[4].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
            .ToList();

    public string ErrorLog() => ReadShared(ErrorLogPath);

    public ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
        _dir.Dispose();
        return ValueTask.CompletedTask;
    }

    private static string ReadShared(string path)
    {
        if (!File.Exists(path))
        {
            return "";
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    [GeneratedRegex(@"^(\s*server\s+)127\.0\.0\.1:\d+", RegexOptions.Multiline)]
    private static partial Regex ServerLine();

    [GeneratedRegex(@"^(\s*listen\s+)127\.0\.0\.1:\d+;", RegexOptions.Multiline)]
    private static partial Regex ListenLine();

    [GeneratedRegex("^(\\S+) (\\S+) (\\d+) \"([^\"]*)\"$")]
    private static partial Regex AccessLine();
}
