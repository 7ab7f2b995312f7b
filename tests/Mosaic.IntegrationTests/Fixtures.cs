using Mosaic.Testing;
using Xunit;

namespace Mosaic.IntegrationTests;

/// <summary>One embedded server shared by a test class; tests use unique collection names.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private MosaicServer? _server;

    public MosaicServer Server => _server ?? throw new InvalidOperationException("server not started");
    public MosaicHttp Http => Server.Http;

    public async Task InitializeAsync() => _server = await MosaicServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>An embedded server with a small document size limit, for the bad-input tests.</summary>
public sealed class SmallLimitsServerFixture : IAsyncLifetime
{
    public const int MaxDocumentBytes = 4096;

    private MosaicServer? _server;

    public MosaicServer Server => _server ?? throw new InvalidOperationException("server not started");
    public MosaicHttp Http => Server.Http;

    // The issue names Mosaic:MaxDocumentBytes; the coordinator's options bind Mosaic:Coordinator:MaxDocumentBytes. Both are set.
    public async Task InitializeAsync() => _server = await MosaicServer.StartAsync(new Dictionary<string, string?>
    {
        ["Mosaic:MaxDocumentBytes"] = MaxDocumentBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Mosaic:Coordinator:MaxDocumentBytes"] = MaxDocumentBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
