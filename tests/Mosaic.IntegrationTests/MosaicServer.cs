using Microsoft.AspNetCore.Builder;
using Mosaic.Hosting;
using Mosaic.Testing;

namespace Mosaic.IntegrationTests;

/// <summary>The embedded server, in-process on 127.0.0.1 with a free port and a temp data dir.</summary>
public sealed class MosaicServer : IAsyncDisposable
{
    private readonly TempDirectory _dir;
    private readonly WebApplication _app;

    private MosaicServer(TempDirectory dir, WebApplication app, string baseUrl)
    {
        _dir = dir;
        _app = app;
        BaseUrl = baseUrl;
        Http = new MosaicHttp(baseUrl);
    }

    public string BaseUrl { get; }
    public MosaicHttp Http { get; }
    public string DataDir => _dir.Combine("data");
    public TempDirectory Dir => _dir;

    /// <summary>The running app's services (e.g. its endpoints, to check every route).</summary>
    public IServiceProvider Services => _app.Services;

    public static async Task<MosaicServer> StartAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var dir = new TempDirectory("mosaic-it");
        var merged = new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            merged[key] = value;
        }

        WebApplication? app = null;
        try
        {
            app = MosaicApp.Build(dir.Combine("data"), 0, merged);
            await app.StartAsync();
            var baseUrl = app.Urls.First().Replace("localhost", "127.0.0.1", StringComparison.Ordinal);
            var server = new MosaicServer(dir, app, baseUrl);
            await Wait.WaitUntilAsync(
                async () => (await server.Http.GetAsync("ready")).StatusCode == 200,
                TimeSpan.FromSeconds(30),
                $"GET {baseUrl}/ready == 200");
            return server;
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }

            dir.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        try
        {
            await _app.StopAsync();
        }
        finally
        {
            await _app.DisposeAsync();
            _dir.Dispose();
        }
    }
}
