using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mosaic.Contracts;
using Mosaic.Testing;
using Xunit;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary>
/// Search answers are written straight to the response body (no contract objects); they must stay exactly the
/// <see cref="SearchResponse"/> contract that the serializer writes, with every payload as stored.
/// </summary>
public sealed class SearchAnswerJsonTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly MosaicHttp _http = fixture.Http;

    [Fact]
    public async Task Search_and_batch_bodies_are_what_the_serializer_writes_for_the_contract()
    {
        var c = Names.Unique("json");
        await _http.CreateCollectionAsync(c, new JsonObject { ["dimension"] = 3, ["shards"] = 2, ["fields"] = new JsonObject { ["category"] = "keyword", ["price"] = "number" } });
        float[][] vectors = [[1f, 0f, 0f], [0.6f, 0.8f, 0f], [0.1f, 0.2f, 0.97467943f]];
        var (_, token) = await _http.BulkOkAsync(c, vectors.Select((v, i) => Line(Doc(
            $"plain text number {i}",
            v,
            new JsonObject { ["category"] = $"cat{i}", ["price"] = (i * 12.5) + 0.1, ["tags"] = new JsonArray("a", "b"), ["nested"] = new JsonObject { ["n"] = i, ["none"] = null } },
            id: $"j{i}"))));

        foreach (var include in new[] { Array("text", "fields", "vector"), Array(), Array("fields") })
        {
            foreach (var mode in new[] { "vector", "keyword", "hybrid" })
            {
                var search = new JsonObject
                {
                    ["mode"] = mode,
                    ["query"] = "plain text",
                    ["vector"] = Vector([1f, 0.1f, 0f]),
                    ["include"] = include.DeepClone(),
                    ["consistency"] = new JsonObject { ["after"] = token },
                };
                var r = (await _http.PostAsync($"collections/{c}/search", search)).AssertStatus(HttpStatusCode.OK);
                Assert.Equal("application/json", r.ContentType);
                var contract = JsonSerializer.Deserialize(r.Body, MosaicJson.Api.SearchResponse)!;
                string expected = JsonSerializer.Serialize(contract, MosaicJson.Api.SearchResponse);
                Assert.Equal(expected, r.Body);
                Assert.Equal(3, contract.Hits.Count);
                Assert.Equal(["j0", "j1", "j2"], contract.Hits.Select(h => h.Id).Order());
                foreach (var hit in contract.Hits)
                {
                    int i = hit.Id[1] - '0';
                    bool all = include.Count == 3;
                    Assert.Equal(all ? $"plain text number {i}" : null, hit.Text);
                    Assert.Equal(all ? vectors[i] : null, hit.Vector);
                    if (include.Count > 0)
                    {
                        var fields = JsonNode.Parse(hit.Fields!.Value.GetRawText())!;
                        Assert.Equal($"cat{i}", fields["category"]!.GetValue<string>());
                        Assert.Equal((i * 12.5) + 0.1, fields["price"]!.GetValue<double>());
                        Assert.Equal("[\"a\",\"b\"]", fields["tags"]!.ToJsonString());
                        Assert.Equal($"{{\"n\":{i},\"none\":null}}", fields["nested"]!.ToJsonString());
                    }
                    else
                    {
                        Assert.Null(hit.Fields);
                    }
                }

                var batch = (await _http.PostAsync($"collections/{c}/search:batch", new JsonObject { ["searches"] = new JsonArray(search.DeepClone(), search.DeepClone()) }))
                    .AssertStatus(HttpStatusCode.OK);
                var answers = JsonSerializer.Deserialize(batch.Body, MosaicJson.Api.BatchSearchResponse)!;
                Assert.Equal(JsonSerializer.Serialize(answers, MosaicJson.Api.BatchSearchResponse), batch.Body);
                Assert.Equal(2, answers.Results.Count);
                Assert.All(answers.Results, a => Assert.Equal(contract.Hits.Select(h => (h.Id, h.Score)), a.Hits.Select(h => (h.Id, h.Score))));
            }
        }
    }

    [Fact]
    public async Task Text_and_fields_with_quotes_and_non_ascii_come_back_as_stored()
    {
        var c = Names.Unique("jsonesc");
        await _http.CreateCollectionAsync(c, new JsonObject { ["dimension"] = 2, ["shards"] = 2, ["fields"] = new JsonObject { ["category"] = "keyword" } });
        const string Text = "Bücher \"quoted\" <b>&</b> \\ tab\t日本語 line\nend";
        var fields = new JsonObject { ["category"] = "Über \"q\" </script>", ["emoji"] = "😀", ["deep"] = new JsonArray(1, new JsonObject { ["x"] = "\u0001" }) };
        var token = await _http.UpsertAsync(c, "é-id", Doc(Text, [1, 0], fields));

        var answer = await _http.SearchAsync(c, new JsonObject
        {
            ["mode"] = "vector",
            ["vector"] = Vector([1, 0]),
            ["include"] = Array("text", "fields"),
            ["consistency"] = new JsonObject { ["after"] = token },
        });
        var hit = Assert.Single(answer["hits"]!.AsArray())!;
        Assert.Equal("é-id", hit["id"]!.GetValue<string>());
        Assert.Equal(Text, hit["text"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(fields, hit["fields"]), hit.ToJsonString());
    }
}
