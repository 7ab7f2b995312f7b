using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary>
/// A search's payloads are read from the rows its shards found the hits in (a hint the fetch checks): after deletes that
/// free rows, new documents that take them, deleted ids written again and in-place updates, every hit carries the current
/// text, fields and vector of its own id, and nothing deleted comes back.
/// </summary>
public sealed class SearchPayloadTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const int Dimension = 4;
    private readonly MosaicHttp _http = fixture.Http;

    [Fact]
    public async Task Payloads_are_the_current_documents_after_rows_are_freed_and_taken()
    {
        var c = Names.Unique("payload");
        await _http.CreateCollectionAsync(c, new JsonObject { ["dimension"] = Dimension, ["metric"] = "l2", ["shards"] = 2, ["fields"] = new JsonObject { ["tag"] = "keyword" } });
        var current = new Dictionary<string, (string Text, float[] Vector, string Tag)>(StringComparer.Ordinal);
        int version = 0;
        async Task<string> WriteAsync(string id)
        {
            version++;
            var doc = ($"payload words {id} version {version}", new float[] { version, id.Length, version % 3, 1f }, $"{id}-v{version}");
            current[id] = doc;
            return await _http.UpsertAsync(c, id, Doc(doc.Item1, doc.Item2, new JsonObject { ["tag"] = doc.Item3 }));
        }

        async Task<string> DeleteAsync(string id)
        {
            current.Remove(id);
            return MosaicHttp.Token((await _http.DeleteAsync($"collections/{c}/docs/{id}")).AssertStatus(System.Net.HttpStatusCode.OK));
        }

        for (int i = 0; i < 8; i++)
        {
            await WriteAsync($"p{i}");
        }

        // Each round deletes the newest document (the highest row of its shard, so the next insert there takes its row id),
        // writes a new one, writes a deleted id back (a new row) and updates another in place.
        string token = "";
        for (int round = 0; round < 6; round++)
        {
            await DeleteAsync($"p{7 + round}");
            await WriteAsync($"p{8 + round}");
            if (round > 0)
            {
                await WriteAsync($"p{6 + round}");
            }

            token = await WriteAsync($"p{round}");
        }

        token = await DeleteAsync("p3");

        foreach (var mode in new[] { "vector", "keyword", "hybrid" })
        {
            foreach (int topK in new[] { 3, 50 })
            {
                var answer = await _http.SearchAsync(c, new JsonObject
                {
                    ["mode"] = mode,
                    ["query"] = "payload words",
                    ["vector"] = Vector([1f, 2f, 1f, 1f]),
                    ["top_k"] = topK,
                    ["include"] = new JsonArray("text", "fields", "vector"),
                    ["consistency"] = new JsonObject { ["after"] = token },
                });
                var hits = answer["hits"]!.AsArray();
                Assert.Equal(Math.Min(topK, current.Count), hits.Count);
                foreach (var hit in hits)
                {
                    string id = hit!["id"]!.GetValue<string>();
                    Assert.True(current.TryGetValue(id, out var doc), $"{mode} top_k {topK}: '{id}' is deleted but was returned");
                    Assert.Equal(doc.Text, hit["text"]!.GetValue<string>());
                    Assert.Equal(doc.Tag, hit["fields"]!["tag"]!.GetValue<string>());
                    Assert.Equal(doc.Vector, hit["vector"]!.AsArray().Select(v => v!.GetValue<float>()));
                }

                if (topK > current.Count)
                {
                    Assert.Equal(current.Keys.Order(StringComparer.Ordinal), MosaicHttp.HitIds(answer).Order(StringComparer.Ordinal));
                }
            }
        }
    }
}
