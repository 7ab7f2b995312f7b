using System.Net;
using Mosaic.Testing;
using Xunit;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary>
/// An Idempotency-Key names one request: its repeat for the same documents answers the first result (whatever the body
/// carries, as API.md has it), but the key sent for another document or kind of write is a 409 that writes nothing, never
/// the first request's answer passed off as this one's.
/// </summary>
/// <remarks>
/// Before, a delete sent with a key first used by a put answered 200 with the put's answer and deleted nothing, a put of
/// another document was acknowledged and never written, and a bulk got a single write's answer (no <c>written</c>).
/// </remarks>
public sealed class IdempotencyKeyReuseTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly MosaicHttp _http = fixture.Http;

    [Fact]
    public async Task A_key_sent_with_another_request_is_409_and_writes_nothing_while_its_own_repeat_answers_the_first_result()
    {
        var c = Names.Unique("idem-reuse");
        await _http.CreateCollectionAsync(c, new { dimension = 2, metric = "dot" });
        var key = new Dictionary<string, string> { ["Idempotency-Key"] = "reused-" + Guid.NewGuid().ToString("N") };
        var first = await _http.UpsertAsync(c, "a", Doc("first", [1, 0]), key);

        var otherDoc = await _http.PutAsync($"collections/{c}/docs/b", Doc("first", [1, 0]), key);
        AssertReused(otherDoc);
        (await _http.GetAsync($"collections/{c}/docs/b")).AssertStatus(HttpStatusCode.NotFound);

        var delete = await _http.DeleteAsync($"collections/{c}/docs/a", key);
        AssertReused(delete);

        var bulk = await _http.BulkAsync(c, [Line(Doc("first", [1, 0], id: "a"))], key);
        AssertReused(bulk);

        var stored = (await _http.GetAsync($"collections/{c}/docs/a")).AssertStatus(HttpStatusCode.OK).Object;
        Assert.Equal("first", stored["text"]!.GetValue<string>());
        Assert.Equal(1, await _http.DocCountAsync(c));

        // A put of the same document again is a repeat, whatever its body: the first answer, nothing written.
        var repeat = (await _http.PutAsync($"collections/{c}/docs/a", Doc("second", [0, 1]), key)).AssertStatus(HttpStatusCode.OK);
        Assert.Equal(first, MosaicHttp.Token(repeat));
        Assert.Equal("a", repeat.Object["id"]!.GetValue<string>());
        Assert.Equal("first", (await _http.GetAsync($"collections/{c}/docs/a")).AssertStatus(HttpStatusCode.OK).Object["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_bulk_key_answers_only_the_same_lines_and_a_delete_key_only_the_same_delete()
    {
        var c = Names.Unique("idem-reuse-bulk");
        await _http.CreateCollectionAsync(c, new { dimension = 2, metric = "dot" });
        string[] lines = [Line(Doc("one", [1, 0], id: "x")), Line(Doc("two", [0, 1], id: "y"))];
        var bulkKey = new Dictionary<string, string> { ["Idempotency-Key"] = "bulk-" + Guid.NewGuid().ToString("N") };
        var first = await _http.BulkOkAsync(c, lines, bulkKey);
        Assert.Equal(first, await _http.BulkOkAsync(c, lines, bulkKey));
        AssertReused(await _http.BulkAsync(c, [lines[0]], bulkKey));
        AssertReused(await _http.PutAsync($"collections/{c}/docs/x", Doc("one", [1, 0]), bulkKey));

        var deleteKey = new Dictionary<string, string> { ["Idempotency-Key"] = "delete-" + Guid.NewGuid().ToString("N") };
        var deleted = (await _http.DeleteAsync($"collections/{c}/docs/x", deleteKey)).AssertStatus(HttpStatusCode.OK);
        var again = (await _http.DeleteAsync($"collections/{c}/docs/x", deleteKey)).AssertStatus(HttpStatusCode.OK);
        Assert.Equal(MosaicHttp.Token(deleted), MosaicHttp.Token(again));
        AssertReused(await _http.DeleteAsync($"collections/{c}/docs/y", deleteKey));
        (await _http.GetAsync($"collections/{c}/docs/y")).AssertStatus(HttpStatusCode.OK);
        Assert.Equal(1, await _http.DocCountAsync(c));
    }

    private static void AssertReused(ApiResponse response)
    {
        response.AssertError(HttpStatusCode.Conflict, "Idempotency-Key");
        Assert.Equal("idempotency_key_reused", response.Object["error"]!.GetValue<string>());
    }
}
