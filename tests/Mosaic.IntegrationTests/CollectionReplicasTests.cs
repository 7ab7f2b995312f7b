using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Client;
using Mosaic.Testing;
using Xunit;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary>
/// PATCH /collections/{name} on an embedded server: the replica count R changes (200, as embedded creation with R above 1:
/// kept in the catalog, one replica of each shard on the one node, no shortfall reported), every other setting is a 400
/// <c>immutable_setting</c> naming it, R outside 1..16 and malformed bodies are 400s, an unknown collection 404, and a
/// create that repeats the old R afterwards conflicts (409).
/// </summary>
public sealed class CollectionReplicasTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly MosaicHttp _http = fixture.Http;

    private static JsonObject Settings(int replicas) => new()
    {
        ["dimension"] = 4,
        ["shards"] = 2,
        ["replicas"] = replicas,
        ["fields"] = new JsonObject { ["category"] = "keyword" },
    };

    [Fact]
    public async Task Patch_replicas_answers_200_keeps_every_document_served_and_a_create_with_the_old_R_conflicts()
    {
        var name = Names.Unique("patchr");
        (await _http.PutAsync($"collections/{name}", Settings(1))).AssertStatus(HttpStatusCode.Created);
        var (written, _) = await _http.BulkOkAsync(name, Enumerable.Range(0, 20).Select(i => Line(Doc($"words {i}", [1, i, 0, 1], id: $"d{i}"))));
        Assert.Equal(20, written);

        var patched = (await _http.PatchAsync($"collections/{name}", new { replicas = 3 })).AssertStatus(HttpStatusCode.OK).Object;
        Assert.Equal(3, patched["replicas"]!.GetValue<int>());
        Assert.Equal(2, patched["shards"]!.GetValue<int>());
        var get = (await _http.GetAsync($"collections/{name}")).AssertStatus(HttpStatusCode.OK).Object;
        Assert.Equal((3, 20L), (get["replicas"]!.GetValue<int>(), get["doc_count"]!.GetValue<long>()));

        // One node: each shard keeps its one replica, serving, and nothing waits for a place.
        var cluster = (await _http.GetAsync("cluster")).AssertStatus(HttpStatusCode.OK).Object;
        var shards = cluster["collections"]!.AsArray().Single(c => (string?)c!["name"] == name)!["shards"]!.AsArray();
        Assert.Equal(2, shards.Count);
        Assert.All(shards, s =>
        {
            Assert.Null(s!["blocked"]);
            var replica = Assert.Single(s["replicas"]!.AsArray());
            Assert.Equal(("local", "serving"), ((string?)replica!["node"], (string?)replica["state"]));
        });
        var answer = await _http.SearchAsync(name, new { mode = "keyword", query = "words", top_k = 100 });
        Assert.Equal(20, MosaicHttp.HitIds(answer).Count);
        Assert.False(answer["partial"]!.GetValue<bool>());

        // A create is idempotent on the settings as they are now.
        (await _http.PutAsync($"collections/{name}", Settings(3))).AssertStatus(HttpStatusCode.OK);
        (await _http.PutAsync($"collections/{name}", Settings(1))).AssertError(HttpStatusCode.Conflict, "other settings");

        // The .NET client's method sends the same PATCH.
        using var client = new MosaicClient(new Uri(fixture.Server.BaseUrl + "/"));
        Assert.Equal(1, (await client.SetReplicasAsync(name, 1)).Replicas);
        (await _http.PutAsync($"collections/{name}", Settings(1))).AssertStatus(HttpStatusCode.OK);
        var missing = await Assert.ThrowsAsync<MosaicApiException>(() => client.SetReplicasAsync(Names.Unique("absent"), 2));
        Assert.Equal((404, "not_found"), (missing.Status, missing.Error));
    }

    [Theory]
    [InlineData("""{"dimension": 8}""", "dimension")]
    [InlineData("""{"metric": "l2"}""", "metric")]
    [InlineData("""{"shards": 4}""", "shards")]
    [InlineData("""{"quantization": "int8"}""", "quantization")]
    [InlineData("""{"fields": {"price": "number"}}""", "fields")]
    [InlineData("""{"hnsw": {"m": 8}}""", "hnsw")]
    [InlineData("""{"embed": {"model": "minilm"}}""", "embed")]
    [InlineData("""{"routing": {"field": "category"}}""", "routing")]
    [InlineData("""{"replicas": 2, "shards": 4}""", "shards")]
    public async Task Patch_of_any_other_setting_is_400_immutable_setting_naming_it_and_changes_nothing(string body, string field)
    {
        var name = Names.Unique("patchfix");
        (await _http.PutAsync($"collections/{name}", Settings(1))).AssertStatus(HttpStatusCode.Created);

        var r = (await _http.PatchAsync($"collections/{name}", body)).AssertError(HttpStatusCode.BadRequest, field);
        Assert.Equal("immutable_setting", (string?)r.Object["error"]);
        Assert.StartsWith(field + ":", (string?)r.Object["detail"], StringComparison.Ordinal);
        (await _http.PutAsync($"collections/{name}", Settings(1))).AssertStatus(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("""{"replicas": 0}""", "replicas")]
    [InlineData("""{"replicas": 17}""", "replicas")]
    [InlineData("""{"replicas": -1}""", "replicas")]
    [InlineData("""{"replicas": 2.5}""", "replicas")]
    [InlineData("""{"replicas": "2"}""", "replicas")]
    [InlineData("""{"replicas": null}""", "replicas")]
    [InlineData("""{"replicas": 99999999999}""", "replicas")]
    [InlineData("""{}""", "replicas")]
    [InlineData("""{"replica": 2}""", "replica")]
    [InlineData("""[2]""", "body")]
    [InlineData("""{"replicas": 2} {"replicas": 3}""", "body")]
    [InlineData("""{"replicas": 2""", "body")]
    [InlineData("", "body")]
    public async Task Patch_with_replicas_outside_1_to_16_or_a_malformed_body_is_400_naming_it(string body, string field)
    {
        var name = Names.Unique("patchbad");
        (await _http.PutAsync($"collections/{name}", Settings(2))).AssertStatus(HttpStatusCode.Created);

        (await _http.PatchAsync($"collections/{name}", body)).AssertError(HttpStatusCode.BadRequest, field);
        Assert.Equal(2, (await _http.GetAsync($"collections/{name}")).AssertStatus(HttpStatusCode.OK).Object["replicas"]!.GetValue<int>());
    }

    [Fact]
    public async Task Patch_of_an_unknown_collection_is_404()
    {
        (await _http.PatchAsync($"collections/{Names.Unique("absent")}", new { replicas = 2 })).AssertError(HttpStatusCode.NotFound, "does not exist");
        // Checked before the collection is looked up: a bad body is a 400 whatever the name.
        (await _http.PatchAsync($"collections/{Names.Unique("absent")}", new { dimension = 2 })).AssertError(HttpStatusCode.BadRequest, "dimension");
    }
}
