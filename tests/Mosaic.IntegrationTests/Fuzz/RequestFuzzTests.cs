using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests.Fuzz;

/// <summary>
/// Generative bad-input test: valid requests for every public endpoint, each mutated (fields dropped, wrong JSON types at
/// every path, extreme numbers, 1e309, long and unicode strings, deep nesting, duplicate and unknown keys, invalid UTF-8,
/// BOM, truncated and empty bodies, wrong content types and methods, odd path segments) with a fixed seed.
/// </summary>
/// <remarks>
/// Every answer must come back within <see cref="Deadline"/> with a status below 500, and a 4xx must be the contract's
/// <c>{error, detail}</c>. Writes go only to scratch names; afterwards the seeded collections are exactly as before
/// (settings, counts, every document, search answers), the scratch collection's count agrees with its shards, and the
/// server is healthy. <c>MOSAIC_TEST_SEED</c> replays another seed; <c>MOSAIC_FUZZ_CASES</c> runs more or fewer cases;
/// <c>MOSAIC_FUZZ_VERBOSE=1</c> prints every answer.
/// </remarks>
public sealed class RequestFuzzTests(ServerFixture fixture, ITestOutputHelper output) : IClassFixture<ServerFixture>, IDisposable
{
    private const int DefaultSeed = 20261130;
    private const int DefaultCases = 1200;
    private const int ConcurrentClients = 4;
    private const int Dimension = 4;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly MosaicHttp _http = fixture.Http;
    private readonly TempDirectory _dir = new("mosaic-fuzz");

    [Fact]
    public Task Mutated_requests_get_4xx_or_success_never_5xx_or_a_hang_and_change_nothing_else() =>
        FuzzAsync(fixture.Server.BaseUrl, DefaultCases, sweep: true);

    /// <summary>The same through <c>mosaic gateway</c> (YARP), which must pass bad input on as it came, and answer its own failures as the API does.</summary>
    [Fact]
    public async Task Through_the_gateway_too()
    {
        var port = FreePort.Next();
        await using var gateway = MosaicProcess.Start(["gateway", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--backends", fixture.Server.BaseUrl], _dir.Combine("gateway.log"));
        using var probe = new MosaicHttp($"http://127.0.0.1:{port}");
        await Wait.WaitUntilAsync(async () => (await probe.GetAsync("ready")).StatusCode == 200, TimeSpan.FromSeconds(60), "the gateway is ready");
        await FuzzAsync($"http://127.0.0.1:{port}", DefaultCases / 3, sweep: false);

        // Named regressions. A delete of the document ".." reached the coordinator as a delete of the collection (the
        // gateway rebuilt the target with System.Uri, which resolves %2E%2E); a body cut short was a 4xx labelled bad_gateway.
        var c = Names.Unique("gwdots");
        await _http.CreateCollectionAsync(c, new JsonObject { ["dimension"] = Dimension });
        await _http.UpsertAsync(c, "kept", Doc("kept", [1f, 0f, 0f, 0f]));
        using var client = new FuzzClient(new Uri($"http://127.0.0.1:{port}/"), Deadline);
        var dots = await client.SendAsync(FuzzRequest.Json("DELETE", $"collections/{c}/docs/%2E%2E", null));
        Assert.True(dots.Status == 400 && dots.Body.Contains("invalid_path", StringComparison.Ordinal), $"DELETE of the document '..' through the gateway: {dots.Status} {dots.Body}");
        Assert.Equal(1, await _http.DocCountAsync(c));

        var cut = await SendCutShortAsync(port, $"/collections/{c}/docs:bulk");
        Assert.True(cut.Status is 400 or 408 && cut.Body.Contains("\"error\":\"bad_request\"", StringComparison.Ordinal), $"a body cut short through the gateway: {cut.Status} {cut.Body}");
        Assert.Equal(1, await _http.DocCountAsync(c));
    }

    /// <summary>A POST that promises 1000 bytes of body and sends 20: the server gives up on the rest (Kestrel's minimum data rate).</summary>
    private static async Task<(int Status, string Body)> SendCutShortAsync(int port, string target)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-ndjson\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n{{\"id\": \"cut\", \"text\":"));
        using var cts = new CancellationTokenSource(Deadline);
        using var answer = new MemoryStream();
        await stream.CopyToAsync(answer, cts.Token);
        string text = Encoding.UTF8.GetString(answer.ToArray());
        int status = int.Parse(text.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
        return (status, text);
    }

    private async Task FuzzAsync(string target, int defaultCases, bool sweep)
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable("MOSAIC_TEST_SEED"), out int s) ? s : DefaultSeed;
        int cases = int.TryParse(Environment.GetEnvironmentVariable("MOSAIC_FUZZ_CASES"), out int n) ? n : defaultCases;
        bool verbose = Environment.GetEnvironmentVariable("MOSAIC_FUZZ_VERBOSE") == "1";
        output.WriteLine($"fuzz of {target}: seed {seed}, {(sweep ? "a sweep of every path, " : "")}{cases} cases in order, then {cases / 2} from {ConcurrentClients} clients at once (rerun with MOSAIC_TEST_SEED={seed})");

        var keep = Names.Unique("fzkeep");
        var words = Names.Unique("fzwords");
        var scratch = Names.Unique("fzscratch");
        await SeedAsync(keep, words, scratch);
        var before = await SnapshotAsync(keep, words);

        var bases = Bases(keep, words, scratch);
        using var client = new FuzzClient(new Uri(target + "/"), Deadline);
        var run = new Run(seed, verbose, bases, client, output);
        // First one client, in order (a failure replays exactly), then several at once: the same kinds of requests racing
        // each other on the same scratch names (each client's requests are fixed by the seed, their interleaving is not).
        if (sweep)
        {
            await run.SweepAsync();
        }

        await run.CasesAsync(new Random(seed), cases, "");
        await Task.WhenAll(Enumerable.Range(1, ConcurrentClients).Select(w => run.CasesAsync(new Random(seed + w), cases / 2 / ConcurrentClients, $"client {w} ")));
        var (failures, statuses) = (run.Failures, run.Statuses);

        output.WriteLine("statuses: " + string.Join(", ", statuses.Select(p => $"{p.Key}×{p.Value}")));
        Assert.True(failures.Count == 0, $"seed {seed}: {failures.Count} bad answers\n\n" + string.Join("\n\n", failures));

        (await _http.GetAsync("health")).AssertStatus(HttpStatusCode.OK);
        await Wait.WaitUntilAsync(async () => (await _http.GetAsync("ready")).StatusCode == 200, TimeSpan.FromSeconds(30), "GET /ready == 200 after the fuzz run");
        var after = await SnapshotAsync(keep, words);
        Assert.Equal(before, after);
        await AssertScratchConsistentAsync(scratch);
    }

    /// <summary>One fuzz run's clients, their failures and the statuses they saw (shared, so behind a lock).</summary>
    private sealed class Run(int seed, bool verbose, List<FuzzBase> bases, FuzzClient client, ITestOutputHelper output)
    {
        private readonly Lock _lock = new();

        public List<string> Failures { get; } = [];

        public SortedDictionary<int, int> Statuses { get; } = [];

        /// <summary>No randomness: every path of every base's body given each other JSON type or an extreme number, and dropped.</summary>
        public async Task SweepAsync()
        {
            int i = 0;
            foreach (var start in bases.DistinctBy(b => b.Name))
            {
                var bodies = start.Lines is { } lines
                    ? lines.SelectMany((line, n) => JsonMutator.EveryPath(line).Select(m => ($"line {n + 1}: {m.Mutation}", Join(lines, n, m.Body))))
                    : start.Body is { } body ? JsonMutator.EveryPath(body) : [];
                foreach (var (mutation, bytes) in bodies)
                {
                    await OneAsync(start, new FuzzRequest(start.Method, start.Target, bytes, start.Lines is null ? "application/json" : "application/x-ndjson", [], false, mutation), i++, "sweep ");
                }
            }
        }

        private static byte[] Join(IReadOnlyList<JsonObject> lines, int replaced, byte[] line) =>
            [.. lines.SelectMany((l, n) => (byte[])[.. n == replaced ? line : Encoding.UTF8.GetBytes(l.ToJsonString()), (byte)'\n'])];

        public async Task CasesAsync(Random random, int cases, string who)
        {
            var mutator = new JsonMutator(random);
            for (int i = 0; i < cases && Failures.Count < 25; i++)
            {
                var start = bases[random.Next(bases.Count)];
                await OneAsync(start, Mutate(start, random, mutator, i), i, who);
            }
        }

        private async Task OneAsync(FuzzBase start, FuzzRequest request, int i, string who)
        {
            string? problem;
            try
            {
                var answer = await client.SendAsync(request);
                problem = Check(request, answer);
                lock (_lock)
                {
                    Statuses[answer.Status] = Statuses.GetValueOrDefault(answer.Status) + 1;
                    if (verbose)
                    {
                        output.WriteLine($"{who}{i} {answer.Status} {start.Name} [{Short(request.Mutation)}] {Short(answer.Body)}");
                    }
                }
            }
            catch (Exception ex) when (ex is TimeoutException or HttpRequestException or IOException)
            {
                problem = $"{ex.GetType().Name}: {ex.Message}";
            }

            if (problem is not null)
            {
                lock (_lock)
                {
                    Failures.Add($"{who}case {i} (seed {seed}, from '{start.Name}'): {problem}\n  {request.Describe()}");
                }
            }
        }
    }

    /// <summary>The answer breaks the contract: a 5xx, or a 4xx without <c>{error, detail}</c>; null when it is fine.</summary>
    private static string? Check(FuzzRequest request, FuzzAnswer answer)
    {
        // /ready is a probe: 503 while a collection that a fuzz request created still builds its shards is its contract.
        if (answer.Status == 503 && request.Target.StartsWith("ready", StringComparison.Ordinal))
        {
            return null;
        }

        // A search given a deadline too short for any shard (timeout_ms: 1) answers 503 with its shard report: API.md's
        // "coverage 0" rule, the caller's choice and not a failure of Mosaic's.
        if (answer.Status == 503 && answer.Body.Contains("\"shards\"", StringComparison.Ordinal) && HasShortDeadline(request.Body))
        {
            return null;
        }

        if (answer.Status >= 500)
        {
            return $"answered {answer.Status}: {Short(answer.Body)}";
        }

        if (answer.Status < 400 || request.Method == "HEAD" || (request.Framing && answer.Body.Length == 0 && answer.Status is 400 or 414 or 431))
        {
            return null;
        }

        JsonObject? body = null;
        try
        {
            body = JsonNode.Parse(answer.Body) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
        }

        bool shaped = body?["error"] is JsonValue e && e.TryGetValue<string>(out var code) && code.Length > 0
            && body["detail"] is JsonValue d && d.TryGetValue<string>(out var detail) && detail.Length > 0;
        return shaped ? null : $"answered {answer.Status} without an {{error, detail}} body: '{Short(answer.Body)}'";
    }

    /// <summary>The body names a timeout_ms under a second (at any depth: a batch's searches too).</summary>
    private static bool HasShortDeadline(byte[]? body)
    {
        try
        {
            return body is not null && JsonNode.Parse(body) is { } json && Nodes(json).Any(n =>
                n is JsonObject o && o["timeout_ms"] is JsonValue v && v.TryGetValue<double>(out double ms) && ms < 1000);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or ArgumentException)
        {
            return false;
        }

        static IEnumerable<JsonNode> Nodes(JsonNode node) => node switch
        {
            JsonObject o => o.Select(p => p.Value).OfType<JsonNode>().SelectMany(Nodes).Prepend(node),
            JsonArray a => a.OfType<JsonNode>().SelectMany(Nodes).Prepend(node),
            _ => [node],
        };
    }

    private static FuzzRequest Mutate(FuzzBase start, Random random, JsonMutator mutator, int i)
    {
        byte[]? body = null;
        string mutation = "none";
        string contentType = start.Lines is not null ? "application/x-ndjson" : "application/json";
        if (start.Lines is { } lines)
        {
            body = MutateLines(lines, random, mutator, out mutation);
        }
        else if (start.Body is { } json)
        {
            body = mutator.Mutate(json, out mutation);
        }

        var request = new FuzzRequest(start.Method, start.Target, body, body is null ? null : contentType, [], false, mutation);
        // Most cases change the body only; the rest change the request around it (with the body valid or mutated).
        int around = random.Next(100);
        if (body is null || around < 8)
        {
            request = Around(request with { Body = start.Body is null && start.Lines is null ? null : Valid(start), Mutation = "none" }, start, random, i);
        }
        else if (around < 14)
        {
            request = Around(request, start, random, i);
        }

        return request;
    }

    private static byte[] Valid(FuzzBase start) => start.Lines is { } lines
        ? Encoding.UTF8.GetBytes(string.Join('\n', lines.Select(l => l.ToJsonString())) + "\n")
        : Encoding.UTF8.GetBytes(start.Body!.ToJsonString());

    /// <summary>An NDJSON body with one line mutated, or its line structure broken.</summary>
    private static byte[] MutateLines(IReadOnlyList<JsonObject> lines, Random random, JsonMutator mutator, out string mutation)
    {
        var texts = lines.Select(l => Encoding.UTF8.GetBytes(l.ToJsonString())).ToList();
        switch (random.Next(8))
        {
            case 0:
                mutation = "CRLF line ends, no final newline";
                return Encoding.UTF8.GetBytes(string.Join("\r\n", lines.Select(l => l.ToJsonString())));
            case 1:
                mutation = "blank lines only";
                return "\n\n \r\n\t\n"u8.ToArray();
            case 2:
                mutation = "every line twice, with blank lines between";
                return Encoding.UTF8.GetBytes(string.Join("\n\n", lines.Concat(lines).Select(l => l.ToJsonString())));
            default:
                int line = random.Next(texts.Count);
                texts[line] = mutator.Mutate(lines[line], out string how);
                mutation = $"line {line + 1}: {how}";
                return [.. texts.SelectMany(t => (byte[])[.. t, (byte)'\n'])];
        }
    }

    /// <summary>The request around the body changed: method, content type, path, headers.</summary>
    private static FuzzRequest Around(FuzzRequest request, FuzzBase start, Random random, int i)
    {
        switch (random.Next(6))
        {
            case 0:
                // A read request stays one: never PUT or DELETE on the seeded collections.
                string[] methods = start.Writes ? ["GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS", "FOO"] : ["PATCH", "HEAD", "OPTIONS", "FOO", start.Method == "GET" ? "POST" : "GET"];
                string method = methods[random.Next(methods.Length)];
                return request with { Method = method, Mutation = $"{request.Mutation}; method {method}" };
            case 1:
                string[] types = ["text/plain", "application/xml", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "application/json; charset=latin1", "application/json; charset=utf-16", "???", ""];
                string type = types[random.Next(types.Length)];
                return request with { ContentType = type.Length == 0 ? null : type, Body = request.Body ?? "{}"u8.ToArray(), Mutation = $"{request.Mutation}; Content-Type '{type}'" };
            case 2:
            case 3:
                return Path(request, random, i);
            default:
                (string, string)[] headers =
                [
                    ("Idempotency-Key", $"fuzz-{i}-" + new string('k', random.Next(2) == 0 ? 10 : 20_000)),
                    ("Idempotency-Key", $"%C3%A9-{i}-\"\\ ;,"),
                    ("If-None-Match", "\"garbage, W/\"x\", *"),
                    ("If-None-Match", "*"),
                    ("Accept", "application/xml"),
                    ("Accept-Encoding", "gzip, br, deflate"),
                    ("Authorization", "Bearer not-a-key"),
                    ("Authorization", "Basic Og=="),
                    ("Expect", "100-continue"),
                    ("Content-Encoding", "gzip"),
                ];
                var (name, value) = headers[random.Next(headers.Length)];
                return request with { Headers = [new(name, value)], Mutation = $"{request.Mutation}; header {name}" };
        }
    }

    /// <summary>A path segment changed: %2F, dot segments, spaces, unicode, long, empty, percent escapes, query strings.</summary>
    /// <remarks>A dot segment climbs one level at most, and write requests address only scratch names, so none reaches a seeded collection.</remarks>
    private static FuzzRequest Path(FuzzRequest request, Random random, int i)
    {
        string target = request.Target;
        int slash = target.LastIndexOf('/');
        string head = target[..(slash + 1)], last = target[(slash + 1)..];
        (string Target, bool Raw, bool Framing)[] variants =
        [
            (head + last + "%2F", false, false),
            (head + "a%2F..%2F" + last, false, false),
            (head + last + "%20", false, false),
            (head + last + " ", true, true),
            (head + last + "/..", true, false),
            (head + "./" + last, true, false),
            (head + "%2E%2E", false, false),
            (head + last + "/%2e", false, false),
            (head + Uri.EscapeDataString("é☃😀") + last, false, false),
            (head + last.ToUpperInvariant(), false, false),
            (head + new string('n', 65) + last, false, false),
            (head + new string('n', 5000), false, false),
            (head + "%00" + last, false, true),
            (head + "%ZZ" + last, false, false),
            (head + "%C3%28" + last, false, false),
            (head + "%ED%A0%80" + last, false, false),
            (head, false, false),
            (target + "/", false, false),
            (target.Replace("/", "//", StringComparison.Ordinal), true, false),
            (target + (target.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "x=1&x=2&top_k=-1&seconds=", false, false),
            (target + "?" + new string('q', 10_000), false, true),
            (head + "\u00e9" + last, true, true),
            (target + "#frag", true, true),
        ];
        var (path, raw, framing) = variants[random.Next(variants.Length)];
        return request with { Target = path, Raw = raw || request.Raw, Framing = framing, Mutation = $"{request.Mutation}; path {Short(path)} (case {i})" };
    }

    private List<FuzzBase> Bases(string keep, string words, string scratch)
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
            FuzzBase.Read("search hybrid", "POST", $"collections/{keep}/search", search),
            FuzzBase.Read("search hybrid", "POST", $"collections/{keep}/search", search),
            FuzzBase.Read("search hybrid", "POST", $"collections/{keep}/search", search),
            FuzzBase.Read("search vector", "POST", $"collections/{keep}/search", vectorSearch),
            FuzzBase.Read("search keyword", "POST", $"collections/{keep}/search", keywordSearch),
            FuzzBase.Read("search tiny deadline", "POST", $"collections/{keep}/search", new JsonObject { ["vector"] = Vector([1f, 1f, 0f, 0f]), ["query"] = "seed", ["timeout_ms"] = 1, ["allow_partial"] = false }),
            FuzzBase.Read("search keyword-only", "POST", $"collections/{words}/search", new JsonObject { ["query"] = "alpha", ["top_k"] = 2 }),
            FuzzBase.Read("search batch", "POST", $"collections/{keep}/search:batch", new JsonObject { ["searches"] = new JsonArray(vectorSearch.DeepClone(), keywordSearch.DeepClone()) }),
            FuzzBase.Read("search batch", "POST", $"collections/{keep}/search:batch", new JsonObject { ["searches"] = new JsonArray(search.DeepClone()) }),
            FuzzBase.Read("get collection", "GET", $"collections/{keep}"),
            FuzzBase.Read("list collections", "GET", "collections"),
            FuzzBase.Read("get doc", "GET", $"collections/{keep}/docs/s3"),
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
            FuzzBase.Write("put doc", "PUT", $"collections/{scratch}/docs/w{n++}", doc),
            FuzzBase.Write("put doc", "PUT", $"collections/{scratch}/docs/w{n++}", doc),
            FuzzBase.Write("put doc", "PUT", $"collections/{scratch}/docs/w{n++}", doc),
            FuzzBase.Write("delete doc", "DELETE", $"collections/{scratch}/docs/w{n++}"),
            FuzzBase.Write("search scratch", "POST", $"collections/{scratch}/search", new JsonObject { ["vector"] = Vector([1f, 2f, 3f, 4f]), ["query"] = "fuzz", ["top_k"] = 50, ["include"] = new JsonArray("text", "fields", "vector") }),
            new("bulk", true, "POST", $"collections/{scratch}/docs:bulk", Lines: [Doc("bulk one", [1f, 0f, 0f, 0f], new JsonObject { ["category"] = "c1" }, id: "b1"), Doc("bulk two", [0f, 1f, 0f, 0f], id: "b2"), new JsonObject { ["delete"] = "b1" }]),
            new("bulk", true, "POST", $"collections/{scratch}/docs:bulk", Lines: [Doc("bulk three", [0f, 0f, 1f, 0f], new JsonObject { ["price"] = 3, ["year"] = 2001 }, id: "b3")]),
            FuzzBase.Write("create collection", "PUT", $"collections/{Names.Unique("fznew")}", settings),
            FuzzBase.Write("create collection", "PUT", $"collections/{Names.Unique("fznew")}", settings),
            FuzzBase.Write("create embed collection", "PUT", $"collections/{Names.Unique("fzemb")}", new JsonObject { ["embed"] = new JsonObject { ["model"] = "minilm" }, ["fields"] = new JsonObject { ["tag"] = "keyword" } }),
            FuzzBase.Write("delete collection", "DELETE", $"collections/{Names.Unique("fzgone")}"),
            FuzzBase.Write("split", "POST", $"collections/{scratch}/shards/9999:split"),
            FuzzBase.Write("drain", "POST", "cluster/nodes/no-such-node:drain"),
            FuzzBase.Write("undrain", "POST", "cluster/nodes/no-such-node:undrain"),
            FuzzBase.Write("backup", "POST", "admin/backup", new JsonObject { ["to"] = _dir.Combine("backup") }),
            FuzzBase.Write("create key", "POST", "keys", new JsonObject { ["role"] = "read", ["rate"] = 5 }),
            FuzzBase.Write("revoke key", "DELETE", "keys/mk_nosuch"),
        ];
    }

    private string? _keepToken;

    private async Task SeedAsync(string keep, string words, string scratch)
    {
        var fields = new JsonObject { ["category"] = "keyword", ["price"] = "number", ["year"] = "number" };
        await _http.CreateCollectionAsync(keep, new JsonObject { ["dimension"] = Dimension, ["metric"] = "cosine", ["shards"] = 2, ["fields"] = fields.DeepClone() });
        await _http.CreateCollectionAsync(words, new JsonObject { ["shards"] = 1, ["fields"] = new JsonObject { ["tag"] = "keyword" } });
        // Dot product: no normalization, so extreme components reach the scores as they are.
        await _http.CreateCollectionAsync(scratch, new JsonObject { ["dimension"] = Dimension, ["metric"] = "dot", ["shards"] = 2, ["fields"] = fields.DeepClone(), ["routing"] = new JsonObject { ["field"] = "category" } });
        var (written, token) = await _http.BulkOkAsync(keep, Enumerable.Range(0, 20).Select(i => Line(Doc(
            $"seed words number {i}",
            [1f, i / 20f, (i % 3) / 3f, 0.5f],
            new JsonObject { ["category"] = $"c{i % 4}", ["price"] = i * 7.5, ["year"] = 2020 + (i % 6) },
            id: $"s{i}"))));
        Assert.Equal(20, written);
        _keepToken = token;
        var (wordCount, wordToken) = await _http.BulkOkAsync(words, new[] { "alpha beta", "beta gamma", "gamma alpha delta" }.Select((t, i) => Line(Doc(t, null, new JsonObject { ["tag"] = $"t{i}" }, id: $"k{i}"))));
        Assert.Equal(3, wordCount);
        await _http.BulkOkAsync(scratch, Enumerable.Range(0, 5).Select(i => Line(Doc($"scratch {i}", [1f, 1f, i, 0f], new JsonObject { ["category"] = $"c{i % 2}" }, id: $"w{i}"))));
        // Searchable before the snapshot, so the snapshot's answers are the settled ones.
        await _http.SearchAsync(keep, new JsonObject { ["query"] = "seed", ["consistency"] = new JsonObject { ["after"] = token } });
        await _http.SearchAsync(words, new JsonObject { ["query"] = "alpha", ["consistency"] = new JsonObject { ["after"] = wordToken } });
    }

    /// <summary>Everything a client can see of the seeded collections: settings, counts, every document, search answers.</summary>
    private async Task<string> SnapshotAsync(string keep, string words)
    {
        var text = new StringBuilder();
        foreach (var c in new[] { keep, words })
        {
            var info = (await _http.GetAsync($"collections/{c}")).AssertStatus(HttpStatusCode.OK).Object;
            info.Remove("shard_stats");
            text.AppendLine(info.ToJsonString());
        }

        var listed = (await _http.GetAsync("collections")).AssertStatus(HttpStatusCode.OK).Object["collections"]!.AsArray()
            .Select(x => x!["name"]!.GetValue<string>()).Where(name => name == keep || name == words).Order();
        text.AppendLine(string.Join(",", listed));
        for (int i = 0; i < 20; i++)
        {
            text.AppendLine((await _http.GetAsync($"collections/{keep}/docs/s{i}")).AssertStatus(HttpStatusCode.OK).Body);
        }

        for (int i = 0; i < 3; i++)
        {
            text.AppendLine((await _http.GetAsync($"collections/{words}/docs/k{i}")).AssertStatus(HttpStatusCode.OK).Body);
        }

        foreach (var (c, search) in new (string, JsonObject)[]
        {
            (keep, new JsonObject { ["mode"] = "vector", ["vector"] = Vector([1f, 0.3f, 0.3f, 0.5f]), ["top_k"] = 20, ["include"] = new JsonArray() }),
            (keep, new JsonObject { ["mode"] = "keyword", ["query"] = "seed words", ["top_k"] = 20, ["include"] = new JsonArray() }),
            (words, new JsonObject { ["query"] = "alpha gamma", ["include"] = new JsonArray() }),
        })
        {
            var hits = (await _http.SearchAsync(c, search))["hits"]!.AsArray();
            text.AppendLine(string.Join(";", hits.Select(h => $"{h!["id"]}={h["score"]!.GetValue<double>():R}")));
        }

        return text.ToString();
    }

    /// <summary>The scratch collection took writes that happened to be valid: its count and its shards' counts must agree.</summary>
    private async Task AssertScratchConsistentAsync(string scratch)
    {
        await Wait.WaitUntilAsync(
            async () =>
            {
                var info = (await _http.GetAsync($"collections/{scratch}")).AssertStatus(HttpStatusCode.OK).Object;
                var shards = info["shard_stats"]!.AsArray();
                return shards.All(x => x!["lag"]!.GetValue<long>() == 0)
                    && shards.Sum(x => x!["doc_count"]!.GetValue<long>()) == info["doc_count"]!.GetValue<long>();
            },
            TimeSpan.FromSeconds(30),
            $"collection {scratch}: doc_count equals the sum of its shards' doc_count, no lag");
        var all = (await _http.GetAsync($"collections/{scratch}")).Object;
        output.WriteLine($"scratch collection after the run: {all["doc_count"]} documents");

        // Whatever the run got accepted is readable: every document with a vector comes back in a search, payloads and all.
        long vectors = all["shard_stats"]!.AsArray().Sum(x => x!["vector_count"]!.GetValue<long>());
        var hits = MosaicHttp.HitIds(await _http.SearchAsync(scratch, new JsonObject { ["vector"] = Vector([1f, 1f, 1f, 1f]), ["top_k"] = 1000, ["include"] = new JsonArray("text", "fields", "vector") }));
        Assert.Equal(Math.Min(vectors, 1000), hits.Count);
        // "." and ".." name no document in a URL (a bulk line may write them; see BadInputTests).
        foreach (var id in hits.Where(id => id is not ("." or "..")).Take(50))
        {
            (await _http.GetAsync($"collections/{scratch}/docs/{Uri.EscapeDataString(id)}")).AssertStatus(HttpStatusCode.OK);
        }
    }

    private static string Short(string s) => s.Length <= 300 ? s : s[..300] + "...";

    public void Dispose() => _dir.Dispose();
}
