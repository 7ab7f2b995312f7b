using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;

namespace Mosaic.IntegrationTests.Access;

/// <summary>Per-key rate limits in one process: a key with a rate gets exactly its bucket's worth of requests, then 429 with
/// Retry-After; a key without a rate is not limited.</summary>
/// <remarks>The rate is one request per 10 s and the bucket holds 60 s of it (6 requests), so a burst of 10 sent in under
/// 10 s (the bucket gains less than one token meanwhile) gets exactly 6 answers and 4 refusals, however loaded the machine.</remarks>
public sealed class RateLimitTests : IAsyncLifetime
{
    private MosaicServer _server = null!;

    public async Task InitializeAsync() => _server = await MosaicServer.StartAsync(new Dictionary<string, string?>
    {
        ["Mosaic:Auth:Enabled"] = "true",
        ["Mosaic:RateLimits:BurstSeconds"] = "60",
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task KeyWithARate_GetsExactlyItsBucket_ThenA429WithRetryAfter()
    {
        using var dir = new TempDirectory("mosaic-rate");
        string admin = await OfflineKeys.CreateAsync(_server.DataDir, dir);
        using var client = new HttpClient { BaseAddress = new Uri(_server.BaseUrl + "/"), Timeout = TimeSpan.FromSeconds(30) };

        string limited = await CreateReadKeyAsync(client, admin, "0.1");

        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => GetAsync(client, limited)));
        Assert.Equal(6, answers.Count(a => a.Status == HttpStatusCode.OK));
        var refused = answers.Where(a => a.Status != HttpStatusCode.OK).ToList();
        Assert.Equal(4, refused.Count);
        Assert.All(refused, a =>
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, a.Status);
            Assert.Contains("rate_limited", a.Body, StringComparison.Ordinal);
            Assert.InRange(a.RetryAfter ?? 0, 1, 10);
        });

        // The admin key has no rate: never limited.
        var unlimited = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => GetAsync(client, admin)));
        Assert.All(unlimited, a => Assert.Equal(HttpStatusCode.OK, a.Status));
    }

    [Fact]
    public async Task KeyWithAVanishinglySmallRate_IsRefusedWith429_NotA500()
    {
        // Found by the fuzz run's follow-up: at 1e-300 requests/s the next token is 1e300 s away, past what a TimeSpan holds,
        // and every request after the first was a 500.
        using var dir = new TempDirectory("mosaic-rate-tiny");
        string admin = await OfflineKeys.CreateAsync(_server.DataDir, dir);
        using var client = new HttpClient { BaseAddress = new Uri(_server.BaseUrl + "/"), Timeout = TimeSpan.FromSeconds(30) };
        string limited = await CreateReadKeyAsync(client, admin, "1e-300");

        Assert.Equal(HttpStatusCode.OK, (await GetAsync(client, limited)).Status);
        var refused = await GetAsync(client, limited);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.Status);
        Assert.Contains("rate_limited", refused.Body, StringComparison.Ordinal);
        Assert.True(refused.RetryAfter >= 1, $"Retry-After should be a positive number of seconds, got {refused.RetryAfter}");
    }

    /// <summary>A read key with the given rate (JSON number text), made with the admin key.</summary>
    private static async Task<string> CreateReadKeyAsync(HttpClient client, string admin, string rate)
    {
        using var create = new HttpRequestMessage(HttpMethod.Post, "keys") { Content = new StringContent($$"""{"role": "read", "rate": {{rate}}}""", System.Text.Encoding.UTF8, "application/json") };
        create.Headers.Authorization = new("Bearer", admin);
        using var created = await client.SendAsync(create);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return JsonNode.Parse(await created.Content.ReadAsStringAsync())!["key"]!.GetValue<string>();
    }

    private static async Task<(HttpStatusCode Status, string Body, int? RetryAfter)> GetAsync(HttpClient client, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "collections");
        request.Headers.Authorization = new("Bearer", key);
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), (int?)response.Headers.RetryAfter?.Delta?.TotalSeconds);
    }
}
