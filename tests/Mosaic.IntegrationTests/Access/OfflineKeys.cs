using Mosaic.Testing;
using Xunit;

namespace Mosaic.IntegrationTests.Access;

/// <summary>The first admin key of a server with keys on: <c>mosaic keys create --role admin --data DIR</c>, offline
/// against its store, which prints the key alone on stdout.</summary>
internal static class OfflineKeys
{
    public static async Task<string> CreateAsync(string dataDir, TempDirectory logs, string role = "admin")
    {
        var result = await CliRun.RunAsync(["keys", "create", "--role", role, "--data", dataDir], logs.Combine($"keys-{Guid.NewGuid():N}.log"), TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, result.Describe());
        string key = Assert.Single(result.Stdout);
        Assert.Matches("^mk_[A-Za-z0-9_-]{43}$", key);
        return key;
    }
}
