using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Core.Slots;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary>
/// The routing key (<c>"routing": {"field", "slots"}</c>): documents of one value live in that value's slots, searches
/// filtered on the field visit only the shards holding them and still return exactly the matches, and a stored
/// document's routing value cannot change.
/// </summary>
public sealed class RoutingKeyTests(ServerFixture fixture, ITestOutputHelper output) : IClassFixture<ServerFixture>
{
    private const int Dimension = 4;
    private const int Shards = 8;
    private const int DefaultSlots = 8;
    private static readonly string[] Categories = ["red", "green", "blue", "black", "white", "pink"];

    private readonly MosaicHttp _http = fixture.Http;

    [Fact]
    public Task Filtered_searches_visit_only_the_shards_holding_the_values_and_return_exactly_the_matches() => Seeds.WithSeedAsync(Seeds.Pick(), async () =>
    {
        var (name, rows, token) = await LoadAsync();
        var ranges = await ShardRangesAsync(name);

        // Every shard holds exactly the documents whose routed slot is in its range.
        var perShard = await ShardDocCountsAsync(name, rows.Count);
        foreach (var (range, count) in perShard)
        {
            Assert.Equal(rows.Count(r => range.Contains(r.Slot)), count);
        }

        var cases = new (string Name, JsonObject Filter, Func<Row, bool> Matches, string[]? Values)[]
        {
            ("eq", Clause("category", ("eq", "red")), r => r.Category == "red", ["red"]),
            ("in", Clause("category", ("in", Array("blue", "pink"))), r => r.Category is "blue" or "pink", ["blue", "pink"]),
            ("and", And(Clause("price", ("lt", 50)), Clause("category", ("eq", "green"))), r => r.Category == "green" && r.Price < 50, ["green"]),
            ("or", Or(Clause("category", ("eq", "black")), Clause("category", ("eq", "white"))), r => r.Category is "black" or "white", ["black", "white"]),
            ("absent value", Clause("category", ("eq", "purple")), _ => false, ["purple"]),
            // Not narrowed: one branch of the or does not pin the category, so every shard is asked.
            ("or with another field", Or(Clause("category", ("eq", "red")), Clause("price", ("lt", 0))), r => r.Category == "red", null),
            ("not", Not(Clause("category", ("eq", "red"))), r => r.Category != "red", null),
        };
        foreach (var (caseName, filter, matches, values) in cases)
        {
            var expected = rows.Where(matches).Select(r => r.Id).Order(StringComparer.Ordinal).ToList();
            int expectedShards = values is null
                ? Shards
                : ranges.Count(range => values.SelectMany(v => RoutingSlots.SlotsOf(name, v, DefaultSlots)).Any(range.Contains));
            foreach (var mode in new[] { "keyword", "vector" })
            {
                var answer = await _http.SearchAsync(name, Search(mode, token, Clone(filter)));
                Assert.True(
                    expected.SequenceEqual(MosaicHttp.HitIds(answer).Order(StringComparer.Ordinal)),
                    $"{caseName}/{mode}: expected {expected.Count} ids, got {answer["hits"]!.AsArray().Count}: {answer.ToJsonString()[..Math.Min(400, answer.ToJsonString().Length)]}");
                Assert.Equal(expectedShards, answer["shards"]!["total"]!.GetValue<int>());
                Assert.Equal(expectedShards, answer["shards"]!["ok"]!.GetValue<int>());
                Assert.Equal(1.0, answer["coverage"]!.GetValue<double>());
                Assert.False(answer["partial"]!.GetValue<bool>());
            }

            if (values is not null)
            {
                Assert.InRange(expectedShards, 1, 2 * values.Length); // 8 consecutive slots lie in one shard of 128 or straddle two
            }

            output.WriteLine($"{caseName}: {expected.Count} matches, {expectedShards} of {Shards} shards");
        }

        // An unfiltered search still sees every document, on every shard.
        var all = await _http.SearchAsync(name, Search("vector", token, null));
        Assert.Equal(rows.Select(r => r.Id).Order(StringComparer.Ordinal), MosaicHttp.HitIds(all).Order(StringComparer.Ordinal));
        Assert.Equal(Shards, all["shards"]!["total"]!.GetValue<int>());
    });

    [Fact]
    public async Task Settings_are_stored_shown_and_compared()
    {
        var name = Names.Unique("routing");
        var created = await _http.CreateCollectionAsync(name, Settings(new JsonObject { ["field"] = "category" }));
        Assert.Equal("category", created["routing"]!["field"]!.GetValue<string>());
        Assert.Equal(8, created["routing"]!["slots"]!.GetValue<int>());

        var get = (await _http.GetAsync($"collections/{name}")).AssertStatus(HttpStatusCode.OK).Object;
        Assert.Equal("category", get["routing"]!["field"]!.GetValue<string>());
        Assert.Equal(8, get["routing"]!["slots"]!.GetValue<int>());

        (await _http.PutAsync($"collections/{name}", Settings(new JsonObject { ["field"] = "category", ["slots"] = 8 }))).AssertStatus(HttpStatusCode.OK);
        (await _http.PutAsync($"collections/{name}", Settings(new JsonObject { ["field"] = "category", ["slots"] = 16 }))).AssertError(HttpStatusCode.Conflict);
        (await _http.PutAsync($"collections/{name}", Settings(null))).AssertError(HttpStatusCode.Conflict);

        var plain = Names.Unique("plain");
        var noRouting = await _http.CreateCollectionAsync(plain, Settings(null));
        Assert.Null(noRouting["routing"]);
    }

    [Theory]
    [InlineData("""{"field": "colour"}""", "routing.field")]
    [InlineData("""{"field": "price"}""", "routing.field")]
    [InlineData("""{"field": ""}""", "routing.field")]
    [InlineData("""{}""", "routing.field")]
    [InlineData("""{"field": "category", "slots": 0}""", "routing.slots")]
    [InlineData("""{"field": "category", "slots": 1025}""", "routing.slots")]
    [InlineData("""{"field": "category", "slots": -3}""", "routing.slots")]
    [InlineData("""{"field": "category", "spread": 2}""", "spread")]
    [InlineData("\"category\"", "routing")]
    public async Task Bad_routing_settings_are_400_and_create_nothing(string routing, string mentions)
    {
        var name = Names.Unique("badrouting");
        string body = $$"""{"dimension": 4, "fields": {"category": "keyword", "price": "number"}, "routing": {{routing}}}""";
        (await _http.PutAsync($"collections/{name}", new RawBody(body))).AssertError(HttpStatusCode.BadRequest, mentions);
        (await _http.GetAsync($"collections/{name}")).AssertStatus(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Changing_a_documents_routing_value_is_409_and_writes_nothing()
    {
        var name = Names.Unique("routing");
        await _http.CreateCollectionAsync(name, Settings(new JsonObject { ["field"] = "category", ["slots"] = 4 }));
        var vector = new float[] { 1, 0, 0, 0 };
        await _http.UpsertAsync(name, "a", Doc("first text", vector, new JsonObject { ["category"] = "red", ["price"] = 1 }));

        var moved = await _http.PutAsync($"collections/{name}/docs/a", Doc("second text", vector, new JsonObject { ["category"] = "blue", ["price"] = 2 }));
        moved.AssertError(HttpStatusCode.Conflict, "routing value", "delete it first");
        // Dropping the field would move it back to its id's slot: the same conflict.
        (await _http.PutAsync($"collections/{name}/docs/a", Doc("third text", vector, new JsonObject { ["price"] = 3 }))).AssertError(HttpStatusCode.Conflict, "category");

        // A bulk holding such a change writes none of its lines.
        var bulk = await _http.BulkAsync(name, [
            Line(Doc("new doc", vector, new JsonObject { ["category"] = "blue" }, id: "b")),
            Line(Doc("fourth text", vector, new JsonObject { ["category"] = "green" }, id: "a")),
        ]);
        bulk.AssertError(HttpStatusCode.Conflict, "'a'");
        (await _http.GetAsync($"collections/{name}/docs/b")).AssertStatus(HttpStatusCode.NotFound);

        var stored = (await _http.GetAsync($"collections/{name}/docs/a")).AssertStatus(HttpStatusCode.OK).Object;
        Assert.Equal("first text", stored["text"]!.GetValue<string>());
        Assert.Equal("red", stored["fields"]!["category"]!.GetValue<string>());
        Assert.Equal(1, stored["fields"]!["price"]!.GetValue<double>());

        // The same value may be rewritten; searches find it under its value only.
        var token = await _http.UpsertAsync(name, "a", Doc("fifth text", vector, new JsonObject { ["category"] = "red", ["price"] = 5 }));
        Assert.Equal(["a"], MosaicHttp.HitIds(await _http.SearchAsync(name, Search("keyword", token, Clause("category", ("eq", "red")), "fifth"))));
        Assert.Empty(MosaicHttp.HitIds(await _http.SearchAsync(name, Search("keyword", token, Clause("category", ("eq", "blue")), "fifth"))));
        Assert.Equal(1, await _http.DocCountAsync(name));
    }

    [Fact]
    public async Task Deleting_a_routed_document_removes_it_and_it_may_come_back_with_another_value()
    {
        var name = Names.Unique("routing");
        await _http.CreateCollectionAsync(name, Settings(new JsonObject { ["field"] = "category" }));
        var vector = new float[] { 0, 1, 0, 0 };
        await _http.UpsertAsync(name, "keep", Doc("common words", vector, new JsonObject { ["category"] = "red" }));
        await _http.UpsertAsync(name, "gone", Doc("common words", vector, new JsonObject { ["category"] = "red" }));
        var (written, _) = await _http.BulkOkAsync(name, [Line(Doc("common words", vector, new JsonObject { ["category"] = "blue" }, id: "bulk-gone"))]);

        var deleted = (await _http.DeleteAsync($"collections/{name}/docs/gone")).AssertStatus(HttpStatusCode.OK);
        var (_, token) = await _http.BulkOkAsync(name, [DeleteLine("bulk-gone")]);
        (await _http.DeleteAsync($"collections/{name}/docs/gone")).AssertStatus(HttpStatusCode.NotFound);

        foreach (var after in new[] { MosaicHttp.Token(deleted), token })
        {
            Assert.Equal(["keep"], MosaicHttp.HitIds(await _http.SearchAsync(name, Search("keyword", after, Clause("category", ("eq", "red")), "common"))));
            Assert.Empty(MosaicHttp.HitIds(await _http.SearchAsync(name, Search("keyword", after, Clause("category", ("eq", "blue")), "common"))));
            Assert.Equal(["keep"], MosaicHttp.HitIds(await _http.SearchAsync(name, Search("keyword", after, null, "common"))));
        }

        // Deleted, an id may be written again with another value (a delete then a create in one bulk, too).
        var (_, again) = await _http.BulkOkAsync(name, [
            Line(Doc("common words", vector, new JsonObject { ["category"] = "green" }, id: "gone")),
            DeleteLine("keep"),
            Line(Doc("common words", vector, new JsonObject { ["category"] = "pink" }, id: "keep")),
        ]);
        Assert.Equal(["gone"], MosaicHttp.HitIds(await _http.SearchAsync(name, Search("keyword", again, Clause("category", ("eq", "green")), "common"))));
        Assert.Equal(["keep"], MosaicHttp.HitIds(await _http.SearchAsync(name, Search("keyword", again, Clause("category", ("eq", "pink")), "common"))));
        Assert.Empty(MosaicHttp.HitIds(await _http.SearchAsync(name, Search("keyword", again, Clause("category", ("in", Array("red", "blue"))), "common"))));
        Assert.Equal(2, await _http.DocCountAsync(name));
        Assert.Equal(1, written);
    }

    [Fact]
    public async Task A_document_recreated_with_another_value_in_the_same_shard_is_found()
    {
        // One shard holds every slot. The replica applies a batch sorted by slot, so when the new slot sorts before the
        // old one, the old slot's delete comes after the new slot's upsert and must not remove the recreated document.
        var name = Names.Unique("routing");
        var settings = Settings(new JsonObject { ["field"] = "category", ["slots"] = 1 });
        settings["shards"] = 1;
        await _http.CreateCollectionAsync(name, settings);
        string[] values = [.. Enumerable.Range(0, 50).Select(i => $"v{i}").OrderBy(v => RoutingSlots.FirstSlot(name, v))];
        string low = values[0], high = values[^1];
        var vector = new float[] { 0, 0, 1, 0 };
        await _http.UpsertAsync(name, "x", Doc("moving words", vector, new JsonObject { ["category"] = high }));

        var (_, token) = await _http.BulkOkAsync(name, [DeleteLine("x"), Line(Doc("moving words", vector, new JsonObject { ["category"] = low }, id: "x"))]);
        Assert.Equal(["x"], MosaicHttp.HitIds(await _http.SearchAsync(name, Search("keyword", token, null, "moving"))));
        Assert.Equal(["x"], MosaicHttp.HitIds(await _http.SearchAsync(name, Search("keyword", token, Clause("category", ("eq", low)), "moving"))));
        Assert.Empty(MosaicHttp.HitIds(await _http.SearchAsync(name, Search("keyword", token, Clause("category", ("eq", high)), "moving"))));

        // And back, in separate writes.
        (await _http.DeleteAsync($"collections/{name}/docs/x")).AssertStatus(HttpStatusCode.OK);
        token = await _http.UpsertAsync(name, "x", Doc("moving words", vector, new JsonObject { ["category"] = high }));
        Assert.Equal(["x"], MosaicHttp.HitIds(await _http.SearchAsync(name, Search("keyword", token, Clause("category", ("eq", high)), "moving"))));
        Assert.Equal(1, await _http.DocCountAsync(name));
    }

    private static JsonObject Settings(JsonObject? routing)
    {
        var settings = new JsonObject
        {
            ["dimension"] = Dimension,
            ["shards"] = Shards,
            ["fields"] = new JsonObject { ["category"] = "keyword", ["price"] = "number" },
        };
        if (routing is not null)
        {
            settings["routing"] = routing;
        }

        return settings;
    }

    private async Task<(string Name, List<Row> Rows, string Token)> LoadAsync()
    {
        var name = Names.Unique("routing");
        await _http.CreateCollectionAsync(name, Settings(new JsonObject { ["field"] = "category" }));
        var random = new Random(Seeds.Pick());
        var rows = new List<Row>();
        for (int i = 0; i < 300; i++)
        {
            // One in ten has no category: it lives in its id's slot and matches no category filter.
            string? category = i % 10 == 0 ? null : Categories[random.Next(Categories.Length)];
            string id = $"r{i}";
            int slot = RoutingSlots.SlotOf(name, id, category, DefaultSlots);
            rows.Add(new Row(id, category, random.Next(0, 100), slot, ClusteredVectors.Uniform(random, Dimension)));
        }

        var (_, token) = await _http.BulkOkAsync(name, rows.Select(r =>
        {
            var fields = new JsonObject { ["price"] = r.Price };
            if (r.Category is not null)
            {
                fields["category"] = r.Category;
            }

            return Line(Doc($"item common {r.Id}", r.Vector, fields, id: r.Id));
        }));
        return (name, rows, token);
    }

    private async Task<List<SlotRange>> ShardRangesAsync(string name) => [.. (await ShardDocCountsAsync(name)).Select(s => s.Range)];

    /// <summary>The shards' ranges and counts once all serve, with no lag, holding <paramref name="total"/> documents in all
    /// when given: a replica's lag is as of its last read of the slot heads, so right after a write it can still read 0.</summary>
    private async Task<List<(SlotRange Range, long Docs)>> ShardDocCountsAsync(string name, long? total = null)
    {
        JsonArray shards = null!;
        await Wait.WaitUntilAsync(
            async () =>
            {
                shards = Assert.IsType<JsonArray>((await _http.GetAsync($"collections/{name}")).AssertStatus(HttpStatusCode.OK).Object["shard_stats"]);
                return shards.Count == Shards && shards.All(s => s!["state"]!.GetValue<string>() == "serving" && s["lag"]!.GetValue<long>() == 0)
                    && (total is null || shards.Sum(s => s!["doc_count"]!.GetValue<long>()) == total);
            },
            TimeSpan.FromSeconds(30),
            $"{Shards} serving shards with no lag" + (total is null ? "" : $" holding {total} documents"));
        return [.. shards.Select(s =>
        {
            var (lo, hi) = OperationsTests.ParseRange(s!["range"]!.GetValue<string>());
            return (new SlotRange(lo, hi), s["doc_count"]!.GetValue<long>());
        })];
    }

    private static JsonObject Search(string mode, string token, JsonObject? filter, string query = "common")
    {
        var search = new JsonObject { ["mode"] = mode, ["top_k"] = 1000, ["consistency"] = new JsonObject { ["after"] = token } };
        if (mode == "keyword")
        {
            search["query"] = query;
        }
        else
        {
            search["vector"] = Vector([0.5f, 0.5f, 0.5f, 0.5f]);
        }

        if (filter is not null)
        {
            search["filter"] = filter;
        }

        return search;
    }

    private sealed record Row(string Id, string? Category, int Price, int Slot, float[] Vector);
}
