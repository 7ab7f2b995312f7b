using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;

namespace Mosaic.IntegrationTests.Access;

/// <summary>Document and collection GETs carry an ETag and Cache-Control; If-None-Match gives 304 until a write changes the answer.</summary>
public sealed class ETagTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task DocumentAndCollectionGets_Answer304WhileUnchanged_AndANewTagAfterAWrite()
    {
        var http = fixture.Http;
        var c = Names.Unique("etag");
        await http.CreateCollectionAsync(c, new JsonObject { ["dimension"] = 0, ["shards"] = 2 });
        await http.UpsertAsync(c, "d1", new JsonObject { ["text"] = "first words" });

        using var client = new HttpClient { BaseAddress = new Uri(http.BaseUrl + "/"), Timeout = TimeSpan.FromSeconds(30) };
        foreach (var path in new[] { $"collections/{c}/docs/d1", $"collections/{c}" })
        {
            using var first = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            var tag = first.Headers.ETag;
            Assert.NotNull(tag);
            Assert.False(tag!.IsWeak);
            Assert.Contains("no-cache", first.Headers.CacheControl?.ToString() ?? "", StringComparison.Ordinal);

            using var again = new HttpRequestMessage(HttpMethod.Get, path);
            again.Headers.IfNoneMatch.Add(tag);
            using var notModified = await client.SendAsync(again);
            Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
            Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());
            Assert.Equal(tag, notModified.Headers.ETag);

            using var other = new HttpRequestMessage(HttpMethod.Get, path);
            other.Headers.TryAddWithoutValidation("If-None-Match", "\"something-else\"");
            using var full = await client.SendAsync(other);
            Assert.Equal(HttpStatusCode.OK, full.StatusCode);

            await http.UpsertAsync(c, "d1", new JsonObject { ["text"] = $"changed for {path}" });
            await http.UpsertAsync(c, $"more{path.Length}", new JsonObject { ["text"] = "one more document" });
            await Wait.WaitUntilAsync(
                async () =>
                {
                    using var check = new HttpRequestMessage(HttpMethod.Get, path);
                    check.Headers.IfNoneMatch.Add(tag);
                    using var changed = await client.SendAsync(check);
                    return changed.StatusCode == HttpStatusCode.OK && changed.Headers.ETag is { } newTag && newTag.Tag != tag.Tag;
                },
                TimeSpan.FromSeconds(30),
                $"GET {path} answers 200 with a new ETag after a write");
        }

        using var missing = await client.GetAsync($"collections/{c}/docs/nope");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Null(missing.Headers.ETag);
    }
}
