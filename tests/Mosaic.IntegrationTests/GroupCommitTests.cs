using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary>
/// Sixteen concurrent writers on two collections — single PUTs, repeats under an Idempotency-Key, bulks, deletes — whose
/// writes the store commits in shared groups: every acknowledged write is there afterwards exactly as last written.
/// </summary>
public sealed class GroupCommitTests(ServerFixture fixture, ITestOutputHelper output) : IClassFixture<ServerFixture>
{
    private const int Writers = 16;
    private const int Rounds = 12;
    private readonly MosaicHttp _http = fixture.Http;

    [Fact]
    public Task ConcurrentWriters_LoseNothing_UnderGroupCommit() => Seeds.RunAsync(output.WriteLine, async seed =>
    {
        string[] collections = [Names.Unique("group-a"), Names.Unique("group-b")];
        foreach (var c in collections)
        {
            await _http.CreateCollectionAsync(c, new JsonObject { ["dimension"] = 3, ["shards"] = 2, ["fields"] = new JsonObject { ["writer"] = "number" } });
        }

        // What each collection must hold at the end: id -> text (null = deleted).
        var expected = collections.ToDictionary(c => c, _ => new ConcurrentDictionary<string, string?>());
        var lastTokens = new ConcurrentBag<(string Collection, string Id, string Text, string Token)>();
        var problems = new ConcurrentQueue<string>();

        await Parallel.ForEachAsync(Enumerable.Range(0, Writers), new ParallelOptions { MaxDegreeOfParallelism = Writers }, async (w, _) =>
        {
            var random = new Random(seed + w);
            string c = collections[w % 2];
            for (int round = 0; round < Rounds; round++)
            {
                string id = $"w{w}-r{round}";
                string text = $"writer{w} round{round} token{random.Next(1000)} u{w}x{round}";
                var doc = Doc(text, [w, round + 1, 1], new JsonObject { ["writer"] = w });
                switch (round % 4)
                {
                    case 0:
                        lastTokens.Add((c, id, text, await _http.UpsertAsync(c, id, doc)));
                        expected[c][id] = text;
                        break;
                    case 1:
                        // The same write twice under one key: one effect, the same answer.
                        var headers = new Dictionary<string, string> { ["Idempotency-Key"] = $"key-{seed}-{w}-{round}" };
                        var first = (await _http.PutAsync($"collections/{c}/docs/{id}", doc, headers)).AssertStatus(HttpStatusCode.OK);
                        var again = (await _http.PutAsync($"collections/{c}/docs/{id}", doc, headers)).AssertStatus(HttpStatusCode.OK);
                        if (first.Body != again.Body)
                        {
                            problems.Enqueue($"{id}: idempotent repeat answered {again.Body}, first {first.Body}");
                        }

                        expected[c][id] = text;
                        break;
                    case 2:
                        var lines = Enumerable.Range(0, 5).Select(i => Line(Doc($"{text}p{i}", [w, i, 1], id: $"{id}-{i}"))).ToList();
                        var (written, token) = await _http.BulkOkAsync(c, lines);
                        if (written != 5)
                        {
                            problems.Enqueue($"{id}: bulk wrote {written} of 5");
                        }

                        for (int i = 0; i < 5; i++)
                        {
                            expected[c][$"{id}-{i}"] = $"{text}p{i}";
                        }

                        lastTokens.Add((c, $"{id}-4", $"{text}p4", token));
                        break;
                    default:
                        // Delete this writer's previous round-0 document, and overwrite its round-1 one.
                        string gone = $"w{w}-r{round - 3}";
                        (await _http.DeleteAsync($"collections/{c}/docs/{gone}")).AssertStatus(HttpStatusCode.OK);
                        expected[c][gone] = null;
                        string over = $"w{w}-r{round - 2}";
                        lastTokens.Add((c, over, text + "o", await _http.UpsertAsync(c, over, Doc(text + "o", [w, 0, 1], new JsonObject { ["writer"] = w }))));
                        expected[c][over] = text + "o";
                        break;
                }
            }
        });

        Assert.True(problems.IsEmpty, string.Join('\n', problems));
        foreach (var c in collections)
        {
            foreach (var (id, text) in expected[c])
            {
                var got = await _http.GetAsync($"collections/{c}/docs/{id}");
                if (text is null)
                {
                    got.AssertStatus(HttpStatusCode.NotFound);
                }
                else
                {
                    Assert.Equal(text, got.AssertStatus(HttpStatusCode.OK).Object["text"]!.GetValue<string>());
                }
            }

            Assert.Equal(expected[c].Count(p => p.Value is not null), await _http.DocCountAsync(c));
        }

        // Each write's token makes its own result visible to search at once (for the writes that are still current):
        // the text's last word is unique to that write, so the search finds exactly that document.
        foreach (var (c, id, text, token) in lastTokens.Where(t => expected[t.Collection].GetValueOrDefault(t.Id) == t.Text))
        {
            var hits = MosaicHttp.HitIds(await _http.SearchAsync(c, new JsonObject
            {
                ["mode"] = "keyword",
                ["query"] = text.Split(' ')[^1],
                ["top_k"] = 3,
                ["consistency"] = new JsonObject { ["after"] = token },
            }));
            Assert.True(hits.SequenceEqual([id]), $"{c}/{id} is not the one hit for its own word after its token: [{string.Join(',', hits)}]");
        }
    });

    /// <summary>
    /// One writer's 409 (a routing value that may not change) fails that write alone: the writes that shared its commit
    /// group are acknowledged and stored. Sixteen writers each alternate a valid new document and a conflicting update,
    /// so conflicts land in groups with other writers' writes.
    /// </summary>
    [Fact]
    public Task ConflictingWrite_FailsAlone_NotItsGroup() => Seeds.RunAsync(output.WriteLine, async seed =>
    {
        string c = Names.Unique("group-conflict");
        await _http.CreateCollectionAsync(c, new JsonObject
        {
            ["dimension"] = 3,
            ["shards"] = 2,
            ["fields"] = new JsonObject { ["category"] = "keyword" },
            ["routing"] = new JsonObject { ["field"] = "category", ["slots"] = 4 },
        });
        for (int w = 0; w < Writers; w++)
        {
            await _http.UpsertAsync(c, $"fixed-{w}", Doc("fixed", [1, w, 1], new JsonObject { ["category"] = "red" }));
        }

        var problems = new ConcurrentQueue<string>();
        var written = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, Writers), new ParallelOptions { MaxDegreeOfParallelism = Writers }, async (w, _) =>
        {
            var random = new Random(seed + w);
            for (int round = 0; round < Rounds; round++)
            {
                // The conflict first, then a valid write right behind it (and the other writers' in between).
                var moved = await _http.PutAsync($"collections/{c}/docs/fixed-{w}", Doc("moved", [1, w, 2], new JsonObject { ["category"] = "blue" }));
                if (moved.Status != HttpStatusCode.Conflict)
                {
                    problems.Enqueue($"fixed-{w} round {round}: a routing change answered {moved.Describe()}, not 409");
                }

                string id = $"w{w}-r{round}";
                var put = await _http.PutAsync($"collections/{c}/docs/{id}", Doc($"valid {id}", [w, round + 1, random.Next(1, 9)], new JsonObject { ["category"] = "green" }));
                if (put.Status == HttpStatusCode.OK)
                {
                    written.Add(id);
                }
                else
                {
                    problems.Enqueue($"{id}: a valid write answered {put.Describe()}");
                }
            }
        });

        Assert.True(problems.IsEmpty, string.Join('\n', problems.Take(20)));
        Assert.Equal(Writers * Rounds, written.Count);
        foreach (string id in written)
        {
            Assert.Equal($"valid {id}", (await _http.GetAsync($"collections/{c}/docs/{id}")).AssertStatus(HttpStatusCode.OK).Object["text"]!.GetValue<string>());
        }

        for (int w = 0; w < Writers; w++)
        {
            var fixedDoc = (await _http.GetAsync($"collections/{c}/docs/fixed-{w}")).AssertStatus(HttpStatusCode.OK).Object;
            Assert.Equal("fixed", fixedDoc["text"]!.GetValue<string>());
            Assert.Equal("red", fixedDoc["fields"]!["category"]!.GetValue<string>());
        }

        Assert.Equal(Writers * (Rounds + 1), await _http.DocCountAsync(c));
    });
}
