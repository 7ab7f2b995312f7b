using Mosaic.Testing;
using Xunit;

namespace Mosaic.IntegrationTests;

/// <summary>
/// A test class with a <c>mosaic serve</c> process of its own, for what is per process (the runtime's and OpenTelemetry's
/// metrics): in-process servers share their meters with every other server alive in the test process.
/// </summary>
public abstract class ServeProcessTest(string name, params string[] serveArgs) : IAsyncLifetime
{
    private readonly TempDirectory _dir = new(name);
    private MosaicProcess _server = null!;

    protected MosaicHttp Http { get; private set; } = null!;

    /// <summary>The server process (its log, e.g.).</summary>
    protected MosaicProcess Server => _server;

    public async Task InitializeAsync()
    {
        _server = await MosaicProcess.StartServeAsync(_dir.Combine("data"), _dir.Combine("serve.log"), null, serveArgs);
        Http = new MosaicHttp(_server.BaseUrl, TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await _server.DisposeAsync();
        _dir.Dispose();
    }
}
