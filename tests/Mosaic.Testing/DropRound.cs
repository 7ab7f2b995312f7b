using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Mosaic.Testing;

/// <summary>
/// One round of the drop contract (API: "DELETE /collections/{name} — 200, then 404 for everything in it"): create, write,
/// on even rounds search with the write's token (so the shards serve it), DELETE, and at once ask for it again.
/// </summary>
/// <remarks>
/// Rounds are run back to back without waiting for placement, so the drop lands while the router is reloading for the
/// create's placement changes: a full run once got 503 here when a reload read the catalog just before the drop.
/// </remarks>
public static class DropRound
{
    /// <summary>Runs one round through <paramref name="owner"/> (which handles the DELETE); <paramref name="others"/> are
    /// other coordinators of the same store, which learn of the drop from the store's notification.</summary>
    public static async Task RunAsync(MosaicHttp owner, IReadOnlyList<MosaicHttp> others, string name, JsonObject settings, float[] vector, int round)
    {
        var created = await owner.PutAsync($"collections/{name}", settings).ConfigureAwait(false);
        created.AssertStatus(HttpStatusCode.Created);
        string token = await owner.UpsertAsync(name, "d0", DocJson.Doc("dropped soon", vector)).ConfigureAwait(false);
        if (round % 2 == 0)
        {
            await Wait.WaitUntilAsync(
                async () => (await owner.PostAsync($"collections/{name}/search", Keyword(token)).ConfigureAwait(false)).Status == HttpStatusCode.OK,
                TimeSpan.FromSeconds(60),
                $"round {round}: {name} answers a search with its token").ConfigureAwait(false);
        }

        (await owner.DeleteAsync($"collections/{name}").ConfigureAwait(false)).AssertStatus(HttpStatusCode.OK);

        // The node that handled the DELETE: 404 for everything, at once.
        (await owner.PostAsync($"collections/{name}/search", Keyword(token)).ConfigureAwait(false)).AssertError(HttpStatusCode.NotFound, name);
        (await owner.PostAsync($"collections/{name}/search", Keyword(null)).ConfigureAwait(false)).AssertError(HttpStatusCode.NotFound, name);
        (await owner.GetAsync($"collections/{name}").ConfigureAwait(false)).AssertError(HttpStatusCode.NotFound, name);
        (await owner.GetAsync($"collections/{name}/docs/d0").ConfigureAwait(false)).AssertError(HttpStatusCode.NotFound);

        // Another coordinator may not have seen the drop yet: it may still answer from shards that serve, but shards gone
        // must never make it a 503 (nor the token's vanished heads a 400); and it learns of the drop.
        foreach (var other in others)
        {
            var first = await other.PostAsync($"collections/{name}/search", Keyword(token)).ConfigureAwait(false);
            Assert.True(first.Status is HttpStatusCode.NotFound or HttpStatusCode.OK, $"round {round}, {other.BaseUrl}: {first.Describe()}");
            await Wait.WaitUntilAsync(
                async () => (await other.PostAsync($"collections/{name}/search", Keyword(token)).ConfigureAwait(false)).Status == HttpStatusCode.NotFound,
                TimeSpan.FromSeconds(30),
                $"round {round}: {other.BaseUrl} answers 404 for the dropped {name}").ConfigureAwait(false);
        }
    }

    private static JsonObject Keyword(string? token)
    {
        var search = new JsonObject { ["mode"] = "keyword", ["query"] = "dropped" };
        if (token is not null)
        {
            search["consistency"] = new JsonObject { ["after"] = token };
        }

        return search;
    }
}
