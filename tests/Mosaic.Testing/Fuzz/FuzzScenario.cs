using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;
using Xunit.Abstractions;
using static Mosaic.Testing.DocJson;

namespace Mosaic.Testing.Fuzz;

/// <summary>
/// Generative bad-input run against one server (embedded, a cluster's coordinator, or a gateway in front of either): valid
/// requests for every public endpoint, each mutated (fields dropped, wrong JSON types at every path, extreme numbers,
/// 1e309, long and unicode strings, deep nesting, duplicate and unknown keys, invalid UTF-8, BOM, truncated and empty
/// bodies, wrong content types and methods, odd path segments) with a fixed seed.
/// </summary>
/// <remarks>
/// Every answer must come back within <see cref="Deadline"/> with a status below 500, and a 4xx must be the contract's
/// <c>{error, detail}</c>. Writes go only to scratch names; afterwards the seeded collections are exactly as before
/// (settings, counts, every document, search answers), the scratch collection's count agrees with its shards, and the
/// server is healthy. <c>MOSAIC_TEST_SEED</c> replays another seed; <c>MOSAIC_FUZZ_CASES</c> runs more or fewer cases;
/// <c>MOSAIC_FUZZ_VERBOSE=1</c> prints every answer.
/// </remarks>
/// <param name="http">Seeds and checks the collections (with an admin key when keys are on).</param>
/// <param name="scratchDir">Where the backup request may write.</param>
/// <param name="settle">Waits until a collection just created can serve searches (a cluster places its shards first).</param>
/// <param name="skip">Names of bases (<see cref="Bases"/>) this run leaves out.</param>
public sealed class FuzzScenario(MosaicHttp http, ITestOutputHelper output, string scratchDir, Func<string, Task>? settle = null, IReadOnlySet<string>? skip = null)
{
    public const int DefaultSeed = 20261130;
    public const int DefaultCases = 1200;
    private const int ConcurrentClients = 4;
    private const int Dimension = 4;
    private static int _names;

    /// <summary>How long one request may take before it counts as a hang.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly MosaicHttp _http = http;
    private string? _keepToken;

    /// <summary>The seed of this run: <c>MOSAIC_TEST_SEED</c> or <see cref="DefaultSeed"/>.</summary>
    public static int Seed => int.TryParse(Environment.GetEnvironmentVariable("MOSAIC_TEST_SEED"), out int s) ? s : DefaultSeed;

    /// <summary>Whether every answer is printed (<c>MOSAIC_FUZZ_VERBOSE=1</c>).</summary>
    public static bool Verbose => Environment.GetEnvironmentVariable("MOSAIC_FUZZ_VERBOSE") == "1";

    /// <summary>The collection whose documents and answers must not change.</summary>
    public string Keep { get; } = Unique("fzkeep");

    /// <summary>A keyword-only collection that must not change.</summary>
    public string Words { get; } = Unique("fzwords");

    /// <summary>The collection that writes go to.</summary>
    public string Scratch { get; } = Unique("fzscratch");

    /// <summary>Creates and fills the seeded collections (once per scenario).</summary>
    public async Task SeedAsync()
    {
        var fields = new JsonObject { ["category"] = "keyword", ["price"] = "number", ["year"] = "number" };
        await _http.CreateCollectionAsync(Keep, new JsonObject { ["dimension"] = Dimension, ["metric"] = "cosine", ["shards"] = 2, ["fields"] = fields.DeepClone() });
        await _http.CreateCollectionAsync(Words, new JsonObject { ["shards"] = 1, ["fields"] = new JsonObject { ["tag"] = "keyword" } });
        // Dot product: no normalization, so extreme components reach the scores as they are.
        await _http.CreateCollectionAsync(Scratch, new JsonObject { ["dimension"] = Dimension, ["metric"] = "dot", ["shards"] = 2, ["fields"] = fields.DeepClone(), ["routing"] = new JsonObject { ["field"] = "category" } });
        if (settle is not null)
        {
            await Task.WhenAll(new[] { Keep, Words, Scratch }.Select(settle));
        }

        var (written, token) = await _http.BulkOkAsync(Keep, Enumerable.Range(0, 20).Select(i => Line(Doc(
            $"seed words number {i}",
            [1f, i / 20f, (i % 3) / 3f, 0.5f],
            new JsonObject { ["category"] = $"c{i % 4}", ["price"] = i * 7.5, ["year"] = 2020 + (i % 6) },
            id: $"s{i}"))));
        Assert.Equal(20, written);
        _keepToken = token;
        var (wordCount, wordToken) = await _http.BulkOkAsync(Words, new[] { "alpha beta", "beta gamma", "gamma alpha delta" }.Select((t, i) => Line(Doc(t, null, new JsonObject { ["tag"] = $"t{i}" }, id: $"k{i}"))));
        Assert.Equal(3, wordCount);
        await _http.BulkOkAsync(Scratch, Enumerable.Range(0, 5).Select(i => Line(Doc($"scratch {i}", [1f, 1f, i, 0f], new JsonObject { ["category"] = $"c{i % 2}" }, id: $"w{i}"))));
        // Searchable before the snapshot, so the snapshot's answers are the settled ones.
        await _http.SearchAsync(Keep, new JsonObject { ["query"] = "seed", ["consistency"] = new JsonObject { ["after"] = token } });
        await _http.SearchAsync(Words, new JsonObject { ["query"] = "alpha", ["consistency"] = new JsonObject { ["after"] = wordToken } });
    }

    /// <summary>
    /// Seeds, snapshots, sweeps (when <paramref name="sweep"/>), runs <paramref name="defaultCases"/> mutated cases in order and
    /// half as many from several clients at once against <paramref name="target"/>, then checks that every answer was
    /// fine and that nothing seeded changed.
    /// </summary>
    /// <param name="always">Headers every fuzz request carries unless it sets them itself (a valid key when keys are on).</param>
    /// <param name="sweepPerPath">How many values the sweep gives each path (<see cref="JsonMutator.EveryPath"/>); null for all.</param>
    public async Task RunAsync(string target, int defaultCases, bool sweep, IReadOnlyList<KeyValuePair<string, string>>? always = null, int? sweepPerPath = null)
    {
        int seed = Seed;
        int cases = int.TryParse(Environment.GetEnvironmentVariable("MOSAIC_FUZZ_CASES"), out int n) ? n : defaultCases;
        output.WriteLine($"fuzz of {target}: seed {seed}, {(sweep ? "a sweep of every path, " : "")}{cases} cases in order, then {cases / 2} from {ConcurrentClients} clients at once (rerun with MOSAIC_TEST_SEED={seed})");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await SeedAsync();
        var before = await SnapshotAsync();
        output.WriteLine($"seeded in {clock.Elapsed.TotalSeconds:0.0} s");
        using var client = new FuzzClient(new Uri(target + "/"), Deadline, always);
        var run = new FuzzRun(seed, Verbose, [.. Bases().Where(b => skip?.Contains(b.Name) != true)], client, output);
        // First one client, in order (a failure replays exactly), then several at once: the same kinds of requests racing
        // each other on the same scratch names (each client's requests are fixed by the seed, their interleaving is not).
        if (sweep)
        {
            await run.SweepAsync(sweepPerPath);
        }

        int p = 0;
        foreach (var (start, request, expect) in Probes())
        {
            await run.OneAsync(start, request, p++, "probe ", expect);
        }

        await run.CasesAsync(new Random(seed), cases, "");
        await Task.WhenAll(Enumerable.Range(1, ConcurrentClients).Select(w => run.CasesAsync(new Random(seed + w), cases / 2 / ConcurrentClients, $"client {w} ")));
        output.WriteLine($"{run.Statuses.Values.Sum()} requests in {clock.Elapsed.TotalSeconds:0.0} s");
        AssertNoFailures(run, seed);
        await AssertUnchangedAsync(before);
    }

    /// <summary>Prints the statuses seen and fails with every bad answer of <paramref name="run"/>.</summary>
    public void AssertNoFailures(FuzzRun run, int seed)
    {
        output.WriteLine("statuses: " + string.Join(", ", run.Statuses.Select(p => $"{p.Key}×{p.Value}")));
        Assert.True(run.Failures.Count == 0, $"seed {seed}: {run.Failures.Count} bad answers\n\n" + string.Join("\n\n", run.Failures));
    }

    /// <summary>The server is healthy and ready, the seeded collections are as <paramref name="before"/>, and the scratch
    /// collection agrees with its shards.</summary>
    public async Task AssertUnchangedAsync(string before)
    {
        (await _http.GetAsync("health")).AssertStatus(HttpStatusCode.OK);
        await Wait.WaitUntilAsync(async () => (await _http.GetAsync("ready")).StatusCode == 200, TimeSpan.FromSeconds(30), "GET /ready == 200 after the fuzz run");
        var after = await SnapshotAsync();
        Assert.Equal(before, after);
        await AssertScratchConsistentAsync();
    }

    /// <summary>
    /// Requests no mutation of a base can make, each with what it must answer: searches after consistency tokens that parse
    /// but lie (<see cref="ForgedTokens"/>), and an answer bigger than a gRPC message may be by default (4 MiB): documents
    /// of ~900 KB written to the scratch collection, then searched for with their text, which must come back whole.
    /// </summary>
    private IEnumerable<(FuzzBase Start, FuzzRequest Request, Func<FuzzAnswer, string?>? Expect)> Probes()
    {
        foreach (var (name, token) in ForgedTokens.From(_keepToken!))
        {
            var search = new JsonObject { ["mode"] = "keyword", ["query"] = "seed", ["consistency"] = new JsonObject { ["after"] = token } };
            var start = FuzzBase.Read($"search after a forged token: {name}", "POST", $"collections/{Keep}/search", search);
            yield return (start, FuzzRequest.Json(start.Method, start.Target, search.ToJsonString(), start.Name), null);
        }

        foreach (var probe in DuplicateKeys())
        {
            yield return probe;
        }

        const int BigDocs = 5;
        string text = "bigpayload " + new string('x', 900_000);
        var lines = Enumerable.Range(0, BigDocs).Select(i => Doc(text, [1f, 0f, 0f, i], new JsonObject { ["category"] = "big" }, id: $"big{i}")).ToList();
        var bulk = new FuzzBase("bulk of big documents", true, "POST", $"collections/{Scratch}/docs:bulk", Lines: lines);
        string? written = null;
        yield return (bulk, new FuzzRequest(bulk.Method, bulk.Target, FuzzMutations.Valid(bulk), "application/x-ndjson", [], false, bulk.Name), a =>
        {
            written = a.Status == 200 ? JsonNode.Parse(a.Body)?["token"]?.GetValue<string>() : null;
            return written is null ? $"the bulk of big documents answered {a.Status}: {FuzzRun.Short(a.Body)}" : null;
        });
        var big = new JsonObject { ["mode"] = "keyword", ["query"] = "bigpayload", ["top_k"] = 10, ["include"] = new JsonArray("text"), ["timeout_ms"] = 30_000, ["consistency"] = new JsonObject { ["after"] = written } };
        var bigSearch = FuzzBase.Write("search for big documents", "POST", $"collections/{Scratch}/search", big);
        yield return (bigSearch, FuzzRequest.Json(bigSearch.Method, bigSearch.Target, big.ToJsonString(), bigSearch.Name), a =>
            a.Status == 200 && JsonNode.Parse(a.Body)!["hits"]!.AsArray().Count(h => h!["text"]?.GetValue<string>() == text) == BigDocs
                ? null
                : $"a search for the {BigDocs} big documents with their text answered {a.Status}, not all {BigDocs} whole: {FuzzRun.Short(a.Body)}");
    }

    /// <summary>Bodies with a property given twice in one object, at the top and deep down: a 400 that names it, as
    /// Elasticsearch answers, never one of the two values taken silently.</summary>
    private IEnumerable<(FuzzBase Start, FuzzRequest Request, Func<FuzzAnswer, string?>? Expect)> DuplicateKeys()
    {
        (string Name, string Method, string Target, string Body, string Key, string Type)[] cases =
        [
            ("search: top_k twice", "POST", $"collections/{Keep}/search", """{"query":"seed","top_k":1,"top_k":1000}""", "top_k", "application/json"),
            ("search: filter's gte twice", "POST", $"collections/{Keep}/search", """{"query":"seed","filter":{"field":"price","gte":1,"gte":50}}""", "gte", "application/json"),
            ("search: mode twice, past the fast reader", "POST", $"collections/{Keep}/search", """{"mode":"keyword","mode":"vector","query":"seed"}""", "mode", "application/json"),
            ("batch: a search's query twice", "POST", $"collections/{Keep}/search:batch", """{"searches":[{"query":"seed","query":"words"}]}""", "query", "application/json"),
            ("document: text twice", "PUT", $"collections/{Scratch}/docs/dup1", """{"text":"one","text":"two","vector":[1,0,0,0]}""", "text", "application/json"),
            ("document: a field twice", "PUT", $"collections/{Scratch}/docs/dup2", """{"vector":[1,0,0,0],"fields":{"category":"c1","category":"c2"}}""", "category", "application/json"),
            ("bulk line: id twice", "POST", $"collections/{Scratch}/docs:bulk", """{"id":"dup3","id":"dup4","vector":[1,0,0,0]}""" + "\n", "id", "application/x-ndjson"),
            ("collection: dimension twice", "PUT", $"collections/{Unique("fzdup")}", """{"dimension":4,"dimension":8}""", "dimension", "application/json"),
        ];
        foreach (var (name, method, target, body, key, type) in cases)
        {
            var start = new FuzzBase($"duplicate key, {name}", method != "POST" || target.EndsWith(":bulk", StringComparison.Ordinal), method, target);
            var request = new FuzzRequest(method, target, Encoding.UTF8.GetBytes(body), type, [], false, start.Name);
            yield return (start, request, a => a.Status == 400 && a.Body.Contains(key, StringComparison.Ordinal) && a.Body.Contains("duplicate", StringComparison.OrdinalIgnoreCase) && !a.Body.Contains("Mosaic.", StringComparison.Ordinal)
                ? null
                : $"answered {a.Status}, not a 400 naming the duplicate '{key}' (and no .NET type): {FuzzRun.Short(a.Body)}");
        }
    }

    private static string Unique(string prefix) => $"{prefix}-{Interlocked.Increment(ref _names)}-{Guid.NewGuid():N}"[..(prefix.Length + 14)];

    public List<FuzzBase> Bases()
    {
        var search = new JsonObject
        {
            ["mode"] = "hybrid",
            ["query"] = "seed words",
            ["vector"] = Vector([0.5f, 0.5f, 0.1f, 0f]),
            ["top_k"] = 5,
            ["filter"] = And(
                Clause("category", ("eq", "c1")),
                Clause("price", ("gte", 1), ("lt", 100)),
                Or(Clause("year", ("in", new JsonArray(2023, 2024))), Not(Clause("category", ("in", new JsonArray("c2", "c3")))))),
            ["timeout_ms"] = 5000,
            ["allow_partial"] = true,
            ["include"] = new JsonArray("text", "fields", "vector"),
            ["ef_search"] = 64,
        };
        var vectorSearch = new JsonObject { ["mode"] = "vector", ["vector"] = Vector([1f, 0f, 0f, 0f]), ["top_k"] = 3, ["filter"] = Clause("price", ("lte", 50)) };
        var keywordSearch = new JsonObject { ["mode"] = "keyword", ["query"] = "seed", ["filter"] = Clause("category", ("in", new JsonArray("c0", "c1"))), ["consistency"] = new JsonObject { ["after"] = _keepToken } };
        var doc = Doc("fuzz text", [0.1f, 0.2f, 0.3f, 0.4f], new JsonObject { ["category"] = "c1", ["price"] = 9.5, ["year"] = 2024 });
        var settings = new JsonObject
        {
            ["dimension"] = 8,
            ["metric"] = "l2",
            ["shards"] = 2,
            ["replicas"] = 1,
            ["fields"] = new JsonObject { ["category"] = "keyword", ["price"] = "number" },
            ["hnsw"] = new JsonObject { ["m"] = 8, ["ef_construction"] = 50, ["ef_search"] = 40 },
            ["quantization"] = "float",
            ["routing"] = new JsonObject { ["field"] = "category", ["slots"] = 4 },
        };
        int n = 0;
        return
        [
            FuzzBase.Read("search hybrid", "POST", $"collections/{Keep}/search", search),
            FuzzBase.Read("search hybrid", "POST", $"collections/{Keep}/search", search),
            FuzzBase.Read("search hybrid", "POST", $"collections/{Keep}/search", search),
            FuzzBase.Read("search vector", "POST", $"collections/{Keep}/search", vectorSearch),
            FuzzBase.Read("search keyword", "POST", $"collections/{Keep}/search", keywordSearch),
            FuzzBase.Read("search tiny deadline", "POST", $"collections/{Keep}/search", new JsonObject { ["vector"] = Vector([1f, 1f, 0f, 0f]), ["query"] = "seed", ["timeout_ms"] = 1, ["allow_partial"] = false }),
            FuzzBase.Read("search keyword-only", "POST", $"collections/{Words}/search", new JsonObject { ["query"] = "alpha", ["top_k"] = 2 }),
            FuzzBase.Read("search batch", "POST", $"collections/{Keep}/search:batch", new JsonObject { ["searches"] = new JsonArray(vectorSearch.DeepClone(), keywordSearch.DeepClone()) }),
            FuzzBase.Read("search batch", "POST", $"collections/{Keep}/search:batch", new JsonObject { ["searches"] = new JsonArray(search.DeepClone()) }),
            FuzzBase.Read("get collection", "GET", $"collections/{Keep}"),
            FuzzBase.Read("list collections", "GET", "collections"),
            FuzzBase.Read("get doc", "GET", $"collections/{Keep}/docs/s3"),
            FuzzBase.Read("health", "GET", "health"),
            FuzzBase.Read("ready", "GET", "ready"),
            FuzzBase.Read("cluster", "GET", "cluster"),
            FuzzBase.Read("metrics", "GET", "metrics"),
            FuzzBase.Read("dashboard", "GET", "dashboard"),
            FuzzBase.Read("dashboard data", "GET", "dashboard/data"),
            FuzzBase.Read("signals", "GET", "signals?seconds=5"),
            FuzzBase.Read("signals window", "GET", "signals?from=1&to=100"),
            FuzzBase.Read("advice", "GET", "advice"),
            FuzzBase.Read("openapi", "GET", "openapi/v1.json"),
            FuzzBase.Read("models", "GET", "v1/models"),
            FuzzBase.Read("embeddings", "POST", "v1/embeddings", new JsonObject { ["model"] = "minilm", ["input"] = "fuzz", ["encoding_format"] = "float" }),
            FuzzBase.Read("list keys", "GET", "keys"),
            FuzzBase.Write("put doc", "PUT", $"collections/{Scratch}/docs/w{n++}", doc),
            FuzzBase.Write("put doc", "PUT", $"collections/{Scratch}/docs/w{n++}", doc),
            FuzzBase.Write("put doc", "PUT", $"collections/{Scratch}/docs/w{n++}", doc),
            FuzzBase.Write("delete doc", "DELETE", $"collections/{Scratch}/docs/w{n++}"),
            FuzzBase.Write("search scratch", "POST", $"collections/{Scratch}/search", new JsonObject { ["vector"] = Vector([1f, 2f, 3f, 4f]), ["query"] = "fuzz", ["top_k"] = 50, ["include"] = new JsonArray("text", "fields", "vector") }),
            new("bulk", true, "POST", $"collections/{Scratch}/docs:bulk", Lines: [Doc("bulk one", [1f, 0f, 0f, 0f], new JsonObject { ["category"] = "c1" }, id: "b1"), Doc("bulk two", [0f, 1f, 0f, 0f], id: "b2"), new JsonObject { ["delete"] = "b1" }]),
            new("bulk", true, "POST", $"collections/{Scratch}/docs:bulk", Lines: [Doc("bulk three", [0f, 0f, 1f, 0f], new JsonObject { ["price"] = 3, ["year"] = 2001 }, id: "b3")]),
            FuzzBase.Write("create collection", "PUT", $"collections/{Unique("fznew")}", settings),
            FuzzBase.Write("create collection", "PUT", $"collections/{Unique("fznew")}", settings),
            FuzzBase.Write("create embed collection", "PUT", $"collections/{Unique("fzemb")}", new JsonObject { ["embed"] = new JsonObject { ["model"] = "minilm" }, ["fields"] = new JsonObject { ["tag"] = "keyword" } }),
            FuzzBase.Write("delete collection", "DELETE", $"collections/{Unique("fzgone")}"),
            FuzzBase.Write("split", "POST", $"collections/{Scratch}/shards/9999:split"),
            FuzzBase.Write("drain", "POST", "cluster/nodes/no-such-node:drain"),
            FuzzBase.Write("undrain", "POST", "cluster/nodes/no-such-node:undrain"),
            FuzzBase.Write("backup", "POST", "admin/backup", new JsonObject { ["to"] = System.IO.Path.Combine(scratchDir, "backup") }),
            FuzzBase.Write("create key", "POST", "keys", new JsonObject { ["role"] = "read", ["rate"] = 5 }),
            FuzzBase.Write("revoke key", "DELETE", "keys/mk_nosuch"),
        ];
    }

    /// <summary>Everything a client can see of the seeded collections: settings, counts, every document, search answers.</summary>
    public async Task<string> SnapshotAsync()
    {
        var text = new StringBuilder();
        foreach (var c in new[] { Keep, Words })
        {
            var info = (await _http.GetAsync($"collections/{c}")).AssertStatus(HttpStatusCode.OK).Object;
            info.Remove("shard_stats");
            text.AppendLine(info.ToJsonString());
        }

        var listed = (await _http.GetAsync("collections")).AssertStatus(HttpStatusCode.OK).Object["collections"]!.AsArray()
            .Select(x => x!["name"]!.GetValue<string>()).Where(name => name == Keep || name == Words).Order();
        text.AppendLine(string.Join(",", listed));
        for (int i = 0; i < 20; i++)
        {
            text.AppendLine((await _http.GetAsync($"collections/{Keep}/docs/s{i}")).AssertStatus(HttpStatusCode.OK).Body);
        }

        for (int i = 0; i < 3; i++)
        {
            text.AppendLine((await _http.GetAsync($"collections/{Words}/docs/k{i}")).AssertStatus(HttpStatusCode.OK).Body);
        }

        foreach (var (c, search) in new (string, JsonObject)[]
        {
            (Keep, new JsonObject { ["mode"] = "vector", ["vector"] = Vector([1f, 0.3f, 0.3f, 0.5f]), ["top_k"] = 20, ["include"] = new JsonArray() }),
            (Keep, new JsonObject { ["mode"] = "keyword", ["query"] = "seed words", ["top_k"] = 20, ["include"] = new JsonArray() }),
            (Words, new JsonObject { ["query"] = "alpha gamma", ["include"] = new JsonArray() }),
        })
        {
            var hits = (await _http.SearchAsync(c, search))["hits"]!.AsArray();
            text.AppendLine(string.Join(";", hits.Select(h => $"{h!["id"]}={h["score"]!.GetValue<double>():R}")));
        }

        return text.ToString();
    }

    /// <summary>The scratch collection took writes that happened to be valid: its count and its shards' counts must agree.</summary>
    private async Task AssertScratchConsistentAsync()
    {
        await Wait.WaitUntilAsync(
            async () =>
            {
                var info = (await _http.GetAsync($"collections/{Scratch}")).AssertStatus(HttpStatusCode.OK).Object;
                var shards = info["shard_stats"]!.AsArray();
                return shards.All(x => x!["lag"]!.GetValue<long>() == 0)
                    && shards.Sum(x => x!["doc_count"]!.GetValue<long>()) == info["doc_count"]!.GetValue<long>();
            },
            TimeSpan.FromSeconds(30),
            $"collection {Scratch}: doc_count equals the sum of its shards' doc_count, no lag");
        var all = (await _http.GetAsync($"collections/{Scratch}")).Object;
        output.WriteLine($"scratch collection after the run: {all["doc_count"]} documents");

        // Whatever the run got accepted is readable: every document with a vector comes back in a search, payloads and all.
        long vectors = all["shard_stats"]!.AsArray().Sum(x => x!["vector_count"]!.GetValue<long>());
        var hits = MosaicHttp.HitIds(await _http.SearchAsync(Scratch, new JsonObject { ["vector"] = Vector([1f, 1f, 1f, 1f]), ["top_k"] = 1000, ["include"] = new JsonArray("text", "fields", "vector") }));
        Assert.Equal(Math.Min(vectors, 1000), hits.Count);
        // "." and ".." name no document in a URL (a bulk line may write them; see BadInputTests).
        foreach (var id in hits.Where(id => id is not ("." or "..")).Take(50))
        {
            (await _http.GetAsync($"collections/{Scratch}/docs/{Uri.EscapeDataString(id)}")).AssertStatus(HttpStatusCode.OK);
        }
    }
}
