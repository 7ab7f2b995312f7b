using Mosaic.IntegrationTests.Access;
using Mosaic.Testing;
using Mosaic.Testing.Fuzz;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.IntegrationTests.Fuzz;

/// <summary>The embedded server with keys on: every route refuses bad credentials and roles too low (<see cref="KeyFuzz"/>),
/// and mutated requests that carry a valid admin key meet the fuzz run's rules (<see cref="FuzzScenario"/>).</summary>
public sealed class KeyedRequestFuzzTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TempDirectory _dir = new("mosaic-keyfuzz");
    private MosaicServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await MosaicServer.StartAsync(new Dictionary<string, string?> { ["Mosaic:Auth:Enabled"] = "true" });

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Bad_and_too_small_keys_get_401_or_403_on_every_route_and_mutated_requests_with_a_valid_key_never_5xx()
    {
        string key = await OfflineKeys.CreateAsync(_server.DataDir, _dir);
        using var admin = new MosaicHttp(_server.BaseUrl, FuzzScenario.Deadline, key);
        var scenario = new FuzzScenario(admin, output, _dir.Path);
        await scenario.RunAsync(_server.BaseUrl, FuzzScenario.DefaultCases / 3, sweep: false, [new("Authorization", $"Bearer {key}")]);
        await new KeyFuzz(scenario, admin, output).RunAsync(_server.BaseUrl, key);
    }
}
