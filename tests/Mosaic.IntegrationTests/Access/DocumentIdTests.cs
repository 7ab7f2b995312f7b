using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mosaic.Client;
using Mosaic.Contracts;
using Mosaic.Testing;
using Xunit;

namespace Mosaic.IntegrationTests.Access;

/// <summary>Every id is addressable: ids with '/', spaces, non-ASCII, '%' and '+' round-trip through PUT, GET, DELETE,
/// bulk, search and the .NET client, each percent-decoded exactly once.</summary>
public sealed class DocumentIdTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    /// <summary>The issue's ids, plus two that are already percent-escapes and must stay literal.</summary>
    private static readonly string[] AllIds = ["https://example.com/a/b", "a b", "café", "100%", "a+b", "100%2F", "x%41y"];

    public static TheoryData<string> Ids() => [.. AllIds];

    private readonly MosaicHttp _http = fixture.Http;

    private static string DocPath(string c, string id) => $"collections/{c}/docs/{Uri.EscapeDataString(id)}";

    [Theory]
    [MemberData(nameof(Ids))]
    public async Task Id_RoundTripsThroughPutGetDeleteAndSearch(string id)
    {
        var c = Names.Unique("ids");
        await _http.CreateCollectionAsync(c, new JsonObject { ["dimension"] = 0, ["shards"] = 2 });

        var put = (await _http.PutAsync(DocPath(c, id), new JsonObject { ["text"] = "addressable words" })).AssertStatus(HttpStatusCode.OK);
        Assert.Equal(id, put.Object["id"]!.GetValue<string>());

        var get = (await _http.GetAsync(DocPath(c, id))).AssertStatus(HttpStatusCode.OK);
        Assert.Equal(id, get.Object["id"]!.GetValue<string>());
        Assert.Equal(1, await _http.DocCountAsync(c));

        var hits = await _http.SearchAsync(c, new JsonObject { ["mode"] = "keyword", ["query"] = "addressable", ["consistency"] = new JsonObject { ["after"] = MosaicHttp.Token(put) } });
        Assert.Equal([id], MosaicHttp.HitIds(hits));

        var del = (await _http.DeleteAsync(DocPath(c, id))).AssertStatus(HttpStatusCode.OK);
        Assert.Equal(id, del.Object["id"]!.GetValue<string>());
        (await _http.GetAsync(DocPath(c, id))).AssertError(HttpStatusCode.NotFound);
        Assert.Equal(0, await _http.DocCountAsync(c));
    }

    [Fact]
    public async Task BulkWrittenIds_AreFoundByGetAndDeletedByBulk()
    {
        var c = Names.Unique("idsbulk");
        await _http.CreateCollectionAsync(c, new JsonObject { ["dimension"] = 0, ["shards"] = 2 });
        var ids = AllIds.ToList();

        await _http.BulkOkAsync(c, ids.Select(id => JsonSerializer.Serialize(new { id, text = "bulk words" })));
        foreach (var id in ids)
        {
            var get = (await _http.GetAsync(DocPath(c, id))).AssertStatus(HttpStatusCode.OK);
            Assert.Equal(id, get.Object["id"]!.GetValue<string>());
        }

        // The literal escaped text is a different id, not an alias of the decoded one.
        (await _http.GetAsync($"collections/{c}/docs/{Uri.EscapeDataString(Uri.EscapeDataString("https://example.com/a/b"))}")).AssertError(HttpStatusCode.NotFound);
        Assert.Equal(ids.Count, await _http.DocCountAsync(c));

        await _http.BulkOkAsync(c, ids.Select(id => JsonSerializer.Serialize(new { delete = id })));
        Assert.Equal(0, await _http.DocCountAsync(c));
    }

    [Fact]
    public async Task Ids_RoundTripThroughTheGateway()
    {
        var c = Names.Unique("idsgw");
        await _http.CreateCollectionAsync(c, new JsonObject { ["dimension"] = 0, ["shards"] = 2 });
        using var dir = new TempDirectory("mosaic-ids-gateway");
        int port = FreePort.Next();
        await using var gateway = MosaicProcess.Start(["gateway", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--backends", _http.BaseUrl], dir.Combine("gateway.log"));
        using var through = new MosaicHttp($"http://127.0.0.1:{port}", TimeSpan.FromSeconds(30));
        await Wait.WaitUntilAsync(
            async () =>
            {
                try
                {
                    return (await through.GetAsync("ready")).StatusCode == 200;
                }
                catch (HttpRequestException)
                {
                    return !gateway.HasExited ? false : throw new InvalidOperationException($"the gateway exited:\n{gateway.LogTail()}");
                }
            },
            TimeSpan.FromSeconds(60),
            "the gateway is ready");

        foreach (var id in AllIds)
        {
            Assert.Equal(id, (await through.PutAsync(DocPath(c, id), new JsonObject { ["text"] = "through the gateway" })).AssertStatus(HttpStatusCode.OK).Object["id"]!.GetValue<string>());
            Assert.Equal(id, (await _http.GetAsync(DocPath(c, id))).AssertStatus(HttpStatusCode.OK).Object["id"]!.GetValue<string>());
            Assert.Equal(id, (await through.GetAsync(DocPath(c, id))).AssertStatus(HttpStatusCode.OK).Object["id"]!.GetValue<string>());
        }

        Assert.Equal(AllIds.Length, await _http.DocCountAsync(c));
        foreach (var id in AllIds)
        {
            (await through.DeleteAsync(DocPath(c, id))).AssertStatus(HttpStatusCode.OK);
        }

        Assert.Equal(0, await _http.DocCountAsync(c));
    }

    [Fact]
    public async Task Client_EncodesIds()
    {
        var c = Names.Unique("idsclient");
        using var client = new MosaicClient(new Uri(_http.BaseUrl + "/"));
        await client.CreateCollectionAsync(c, new CreateCollectionRequest(Dimension: 0, Shards: 2));
        foreach (var id in AllIds)
        {
            var written = await client.UpsertAsync(c, id, new DocumentBody(Text: $"client words {id}"));
            Assert.Equal(id, written.Id);
            var doc = await client.GetDocumentAsync(c, id);
            Assert.Equal(id, doc.Id);
            Assert.Equal($"client words {id}", doc.Text);
        }

        Assert.Equal(AllIds.Length, (await client.GetCollectionAsync(c)).DocCount);
        foreach (var id in AllIds)
        {
            Assert.Equal(id, (await client.DeleteDocumentAsync(c, id)).Id);
            var gone = await Assert.ThrowsAsync<MosaicApiException>(() => client.GetDocumentAsync(c, id));
            Assert.Equal(404, gone.Status);
        }
    }
}
