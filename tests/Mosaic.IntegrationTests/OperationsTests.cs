using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;

namespace Mosaic.IntegrationTests;

/// <summary>Operational endpoints: /health, /ready, /openapi/v1.json, /cluster.</summary>
public sealed class OperationsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly MosaicHttp _http = fixture.Http;

    [Fact]
    public async Task Health_And_Ready_Are200()
    {
        (await _http.GetAsync("health")).AssertStatus(HttpStatusCode.OK);
        (await _http.GetAsync("ready")).AssertStatus(HttpStatusCode.OK);

        // Still ready with a collection whose shards must all serve.
        var c = Names.Unique("ready");
        await _http.CreateCollectionAsync(c, new JsonObject { ["dimension"] = 2, ["shards"] = 4 });
        await Wait.WaitUntilAsync(async () => (await _http.GetAsync("ready")).StatusCode == 200, TimeSpan.FromSeconds(15), "GET /ready == 200 with a new collection");
    }

    [Fact]
    public async Task OpenApi_IsJsonListingTheCollectionPaths()
    {
        var r = (await _http.GetAsync("openapi/v1.json")).AssertStatus(HttpStatusCode.OK);
        var paths = r.Object["paths"] as JsonObject;
        Assert.True(paths is not null, $"no 'paths' object: {r.Describe()}");
        var keys = paths!.Select(p => p.Key).ToList();
        Assert.Contains("/collections", keys);
        Assert.Contains(keys, k => k.StartsWith("/collections/{", StringComparison.Ordinal) && k.EndsWith("/search", StringComparison.Ordinal));
        Assert.Contains(keys, k => k.Contains("/docs/{", StringComparison.Ordinal));
        Assert.Contains(keys, k => k.EndsWith("docs:bulk", StringComparison.Ordinal));
        Assert.Contains(keys, k => k.EndsWith("search:batch", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Cluster_ShowsOneNode_AndTheCollectionsShards()
    {
        var c = Names.Unique("cluster");
        await _http.CreateCollectionAsync(c, new JsonObject { ["dimension"] = 2, ["shards"] = 3 });

        // Replicas of a new collection may take a moment to open; the view must show all three serving soon.
        ApiResponse r = null!;
        await Wait.WaitUntilAsync(
            async () =>
            {
                r = (await _http.GetAsync("cluster")).AssertStatus(HttpStatusCode.OK);
                return Collection(r, c)?["shards"] is JsonArray { Count: 3 } shards
                    && shards.All(s => s?["replicas"] is JsonArray { Count: 1 } reps && reps[0]?["state"]?.GetValue<string>() == "serving");
            },
            TimeSpan.FromSeconds(15),
            $"/cluster lists 3 serving shards for {c}");

        // Embedded serve is one node holding every replica.
        var nodes = Assert.IsType<JsonArray>(r.Object["nodes"]);
        var node = Assert.IsType<JsonObject>(Assert.Single(nodes));
        string nodeName = node["name"]!.GetValue<string>();
        Assert.False(string.IsNullOrEmpty(nodeName), r.Describe());
        Assert.Equal("alive", node["state"]!.GetValue<string>());

        var collection = Collection(r, c)!;
        Assert.True(collection["shard_map_version"]!.GetValue<long>() >= 1, r.Describe());
        var shards = collection["shards"]!.AsArray().Select(s => s!.AsObject()).ToList();

        // Shard ids are distinct, and the ranges "[lo,hi)" tile the slots 0..1023 without gaps or overlaps.
        Assert.Equal(3, shards.Select(s => s["shard"]!.GetValue<int>()).Distinct().Count());
        var ranges = shards.Select(s => ParseRange(s["range"]!.GetValue<string>())).OrderBy(x => x.Start).ToList();
        Assert.Equal(0, ranges[0].Start);
        for (var i = 1; i < ranges.Count; i++)
        {
            Assert.Equal(ranges[i - 1].End, ranges[i].Start);
        }

        Assert.Equal(1024, ranges[^1].End);
        Assert.All(ranges, x => Assert.True(x.Start < x.End, $"empty range in {r.Describe()}"));
        Assert.All(shards, s => Assert.Equal(nodeName, s["replicas"]![0]!["node"]!.GetValue<string>()));
    }

    private static JsonObject? Collection(ApiResponse cluster, string name) =>
        (cluster.Object["collections"] as JsonArray)?.OfType<JsonObject>().SingleOrDefault(o => o["name"]?.GetValue<string>() == name);

    /// <summary>Parses the contract's half-open slot range text, "[lo,hi)".</summary>
    internal static (int Start, int End) ParseRange(string text)
    {
        var m = System.Text.RegularExpressions.Regex.Match(text, @"^\[(\d+),(\d+)\)$");
        Assert.True(m.Success, $"range '{text}' is not of the form [lo,hi)");
        return (int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
    }
}
