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

        // Replicas of a new collection may take a moment to be placed; the view must show all three soon.
        ApiResponse r = null!;
        await Wait.WaitUntilAsync(
            async () =>
            {
                r = (await _http.GetAsync("cluster")).AssertStatus(HttpStatusCode.OK);
                return CollectionShards(r.Object, c)?.Count == 3;
            },
            TimeSpan.FromSeconds(15),
            $"/cluster lists 3 shards for {c}");
        var nodes = r.Object["nodes"] as JsonArray;
        Assert.True(nodes is not null, $"no 'nodes' array: {r.Describe()}");
        Assert.Single(nodes!);
        var shards = CollectionShards(r.Object, c)!;

        // Slot ranges of one collection cover 0..1023 without gaps or overlaps, when they are reported as numbers.
        var ranges = shards.Select(SlotRange).Where(x => x is not null).Select(x => x!.Value).OrderBy(x => x.Start).ToList();
        if (ranges.Count == shards.Count)
        {
            Assert.Equal(0, ranges[0].Start);
            for (var i = 1; i < ranges.Count; i++)
            {
                Assert.True(ranges[i].Start == ranges[i - 1].End + 1 || ranges[i].Start == ranges[i - 1].End, $"slot ranges not contiguous: {r.Describe()}");
            }

            Assert.True(ranges[^1].End is 1023 or 1024, $"slot ranges do not reach slot 1023: {r.Describe()}");
        }
    }

    /// <summary>Finds the shards of <paramref name="collection"/> in /cluster: an array of shard objects under a node that names it.</summary>
    private static JsonArray? CollectionShards(JsonNode? node, string collection)
    {
        switch (node)
        {
            case JsonObject obj:
                var names = obj.Where(p => p.Value is JsonValue v && v.TryGetValue<string>(out var s) && s == collection).Select(p => p.Key).ToList();
                if (names.Count > 0 && obj["shards"] is JsonArray direct)
                {
                    return direct;
                }

                if (obj[collection] is JsonObject keyed && keyed["shards"] is JsonArray keyedShards)
                {
                    return keyedShards;
                }

                if (obj[collection] is JsonArray keyedArray)
                {
                    return keyedArray;
                }

                foreach (var (_, child) in obj)
                {
                    if (CollectionShards(child, collection) is { } found)
                    {
                        return found;
                    }
                }

                return null;
            case JsonArray array:
                foreach (var child in array)
                {
                    if (CollectionShards(child, collection) is { } found)
                    {
                        return found;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    private static (int Start, int End)? SlotRange(JsonNode? shard)
    {
        if (shard is not JsonObject s)
        {
            return null;
        }

        var range = s["slots"] ?? s["slot_range"] ?? s["range"];
        static int? Int(JsonNode? n) => n is JsonValue v && v.TryGetValue<int>(out var i) ? i : null;
        int? start = null, end = null;
        if (range is JsonObject ro)
        {
            start = Int(ro["start"]) ?? Int(ro["from"]) ?? Int(ro["first"]);
            end = Int(ro["end"]) ?? Int(ro["to"]) ?? Int(ro["last"]);
        }
        else if (range is JsonArray ra && ra.Count == 2)
        {
            start = Int(ra[0]);
            end = Int(ra[1]);
        }
        else if (range is JsonValue rv && rv.TryGetValue<string>(out var text))
        {
            // e.g. "[0,256)" or "0-255"
            var numbers = System.Text.RegularExpressions.Regex.Matches(text, @"\d+").Select(m => int.Parse(m.Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
            if (numbers.Count == 2)
            {
                start = numbers[0];
                end = numbers[1];
            }
        }

        start ??= Int(s["slot_start"]) ?? Int(s["start"]);
        end ??= Int(s["slot_end"]) ?? Int(s["end"]);
        return start is { } st && end is { } en ? (st, en) : null;
    }
}
