using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.IntegrationTests;

/// <summary>
/// Right after DELETE /collections/{name} answered, a search for it (with or without a token of its writes) is a 404,
/// never a 503 from shards already closed: create, write, drop and search, round after round, against a real
/// <c>mosaic serve</c> process.
/// </summary>
public sealed class DropThenSearchTests(ITestOutputHelper output)
{
    private const int Loops = 4;
    private const int Rounds = 12;

    [Fact]
    public async Task Every_request_right_after_a_drop_answers_404()
    {
        using var dir = new TempDirectory("mosaic-drop");
        await using var server = await MosaicProcess.StartServeAsync(dir.Combine("data"), dir.Combine("serve.log"));
        using var http = new MosaicHttp(server.BaseUrl, TimeSpan.FromSeconds(30));
        var settings = new JsonObject { ["dimension"] = 4, ["metric"] = "cosine", ["shards"] = 2 };
        // Loops side by side: each one's creates and drops move the routing version, so the router keeps reloading while
        // the others drop, which is when a reload could straddle a drop. Each loop reuses its name: a reused name must not
        // bring the old collection's routes back either.
        await Task.WhenAll(Enumerable.Range(0, Loops).Select(loop => Task.Run(async () =>
        {
            for (int round = 0; round < Rounds; round++)
            {
                await DropRound.RunAsync(http, [], $"dropped-{loop}", settings, [1, 0, 0, 0], round);
            }
        })));

        output.WriteLine($"{Loops} x {Rounds} rounds of create, write, drop, search");
    }
}
