using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary>
/// A search body means the same whichever way the server reads it (its own reader for the common shape, the serializer
/// for the rest): the same search written in other valid ways answers the same, and a bad body is refused the same way.
/// </summary>
public sealed class SearchRequestShapesTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly MosaicHttp _http = fixture.Http;

    [Fact]
    public async Task The_same_search_written_in_other_valid_ways_answers_the_same()
    {
        var c = Names.Unique("shapes");
        await _http.CreateCollectionAsync(c, new JsonObject { ["dimension"] = 3, ["shards"] = 2, ["fields"] = new JsonObject { ["category"] = "keyword" } });
        float[][] vectors = [[1f, 0f, 0f], [0.6f, 0.8f, 0f], [0f, 0.6f, 0.8f], [0.8f, 0f, 0.6f]];
        var (_, token) = await _http.BulkOkAsync(c, vectors.Select((v, i) => Line(Doc($"shape text {i}", v, new JsonObject { ["category"] = i % 2 == 0 ? "even" : "odd" }, id: $"s{i}"))));

        const string Filter = """{"field": "category", "eq": "even"}""";
        string plain = $$$"""{"mode": "vector", "vector": [0.9, 0.1, 0.2], "top_k": 3, "filter": {{{Filter}}}, "consistency": {"after": "{{{token}}}"}}""";
        string[] sameSearch =
        [
            // Another order, spacing, exponents, escaped names and string characters, and every optional field at its default.
            $$$"""
            { "consistency" : { "after" : "{{{token}}}" }, "filter" : {{{Filter}}}, "top\u005fk" : 3,
              "vector" : [ 9e-1, 1.0E-1, 0.20 ], "mod\u0065" : "vec\u0074or", "include" : [ "text", "fields" ],
              "allow_partial" : true, "timeout_ms" : 5000, "ef_search" : 64 }
            """,
            // Nulls and no mode: read by the serializer, the mode implied by the vector.
            $$$"""{"mode": null, "query": null, "vector": [0.9, 0.1, 0.2], "top_k": 3, "filter": {{{Filter}}}, "consistency": {"after": "{{{token}}}"}, "include": null, "ef_search": null}""",
        ];

        var expected = await HitsAsync(c, plain);
        Assert.Equal(["s0", "s2"], expected.Select(h => h.Id).Order());
        Assert.All(expected, h => Assert.Equal($"shape text {h.Id[1]}", h.Text));
        foreach (var body in sameSearch)
        {
            Assert.Equal(expected, await HitsAsync(c, body));
        }
    }

    [Fact]
    public async Task A_bad_body_is_refused_with_the_field_it_names()
    {
        var c = Names.Unique("shapesbad");
        await _http.CreateCollectionAsync(c, new JsonObject { ["dimension"] = 3, ["shards"] = 2 });
        (string Body, string Detail)[] cases =
        [
            ("""{"mode": "vector", "vector": [1, "x", 0]}""", "vector[1]: has the wrong JSON type or an out-of-range value"),
            ("""{"mode": "vector", "vector": [1, 0, 0], "top_k": "3"}""", "top_k: has the wrong JSON type or an out-of-range value"),
            ("""{"mode": "vector", "vector": [1, 0, 0], "bogus": 1}""", "bogus: unknown property"),
            ("""{"mode": "vector", "vector": [1, 0, 0], "consistency": {"token": "x"}}""", "consistency.token: unknown property"),
            ("""{"mode": "vector", "vector": [1, 0, 0], "include": ["text", 1]}""", "include[1]: has the wrong JSON type or an out-of-range value"),
            ("""{"mode": "vector", "vector": [1, 0, 0], "allow_partial": "yes"}""", "allow_partial: has the wrong JSON type or an out-of-range value"),
        ];
        foreach (var (body, detail) in cases)
        {
            var r = await _http.PostAsync($"collections/{c}/search", body);
            r.AssertStatus(HttpStatusCode.BadRequest);
            Assert.Equal("invalid_json", r.Object["error"]!.GetValue<string>());
            Assert.Equal(detail, r.Object["detail"]!.GetValue<string>());
        }

        // Broken JSON after a complete object, and a body cut short: refused, not half read.
        foreach (var body in new[] { """{"mode": "vector", "vector": [1, 0, 0]} {}""", """{"mode": "vector", "vector": [1, 0, """ })
        {
            var r = await _http.PostAsync($"collections/{c}/search", body);
            r.AssertStatus(HttpStatusCode.BadRequest);
            Assert.Equal("invalid_json", r.Object["error"]!.GetValue<string>());
        }
    }

    private async Task<List<(string Id, double Score, string? Text)>> HitsAsync(string collection, string body)
    {
        var r = (await _http.PostAsync($"collections/{collection}/search", body)).AssertStatus(HttpStatusCode.OK);
        return r.Object["hits"]!.AsArray()
            .Select(h => (h!["id"]!.GetValue<string>(), h["score"]!.GetValue<double>(), h["text"]?.GetValue<string>()))
            .ToList();
    }
}
