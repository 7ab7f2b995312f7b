using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;
using Xunit.Abstractions;

namespace Mosaic.Testing.Fuzz;

/// <summary>
/// The fuzz run's requests on a server with keys on, sent with every kind of bad credential (none, unknown, revoked,
/// malformed: wrong or missing scheme, huge, non-ASCII, control characters, several Authorization headers, the key in the
/// query) and with keys of too small a role, their bodies valid and mutated, their paths in other letter cases.
/// </summary>
/// <remarks>
/// A bad credential is 401 and a role too low is 403, each with the contract's <c>{error, detail}</c> body, on every route
/// that needs a key; a path in another case or with extra slashes may also be 404/405, never anything the route does. The
/// malformed headers that HTTP itself refuses (non-ASCII, control characters, past Kestrel's header limit) may be
/// Kestrel's bare 400/431. Afterwards nothing changed: the seeded collections, the list of collections, the scratch
/// collection's documents, and the keys.
/// </remarks>
public sealed class KeyFuzz(FuzzScenario scenario, MosaicHttp admin, ITestOutputHelper output)
{
    private static readonly string[] Roles = ["read", "write", "admin"];

    /// <summary>One credential: the headers it is sent as, whether only a raw socket can send them, and the role it carries (0 for none).</summary>
    private sealed record Credential(string Name, IReadOnlyList<KeyValuePair<string, string>> Headers, int Rank, bool Raw = false, bool Framing = false, string Query = "");

    /// <summary>Sends every request of <paramref name="scenario"/>'s bases with each bad credential and each role too low, to <paramref name="target"/>.</summary>
    /// <remarks>The scenario's collections must be seeded (<see cref="FuzzScenario.SeedAsync"/>).</remarks>
    public async Task RunAsync(string target, string adminKey)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int seed = FuzzScenario.Seed;
        var random = new Random(seed);
        var mutator = new JsonMutator(random);
        var credentials = await CredentialsAsync(adminKey);
        string before = await WorldAsync();
        using var client = new FuzzClient(new Uri(target + "/"), FuzzScenario.Deadline);
        var bases = scenario.Bases().DistinctBy(b => (b.Method, b.Target)).ToList();
        var run = new FuzzRun(seed, FuzzScenario.Verbose, bases, client, output);
        int i = 0;
        foreach (var start in bases)
        {
            int needs = Needs(start);
            if (needs == 0)
            {
                continue;
            }

            foreach (var credential in credentials.Where(c => c.Rank < needs))
            {
                int expected = credential.Rank == 0 ? 401 : 403;
                // The route's own path with its body valid and mutated; other spellings of the path for the plain cases only.
                var sends = Bodies(start, mutator).Select(b => (start.Target, Exact: true, b.Body, b.Mutation));
                if (credential.Name is "no Authorization" or "read key" or "write key")
                {
                    sends = sends.Concat(Variants(start.Target).Select(path => (path, Exact: false, Valid(start), "valid body")));
                }

                foreach (var (path, exact, body, mutation) in sends)
                {
                    var request = new FuzzRequest(start.Method, path + credential.Query, body, body is null ? null : start.Lines is null ? "application/json" : "application/x-ndjson", credential.Headers, credential.Raw || path.StartsWith('/'), $"{credential.Name}; {mutation}", credential.Framing);
                    await run.OneAsync(start, request, i++, "keys ", answer => Expect(answer, request, expected, exact));
                }
            }
        }

        output.WriteLine($"{run.Statuses.Values.Sum()} requests with bad or too small keys in {clock.Elapsed.TotalSeconds:0.0} s");
        scenario.AssertNoFailures(run, seed);
        Assert.Equal(before, await WorldAsync());
    }

    /// <summary>What a refused request must answer: exactly <paramref name="expected"/> on the route's own path; on a variant of
    /// it (case, slashes) that or 404/405 (a route it does not name). Refusals of malformed or too large headers pass here; <see cref="FuzzRun.Check"/> looks at their body.</summary>
    private static string? Expect(FuzzAnswer answer, FuzzRequest request, int expected, bool exact)
    {
        // Past the header limits: Kestrel's bare 400/431, or Mosaic's own 431 with an error body (which Check looks at).
        if (request.Framing && answer.Status is 400 or 431)
        {
            return null;
        }

        bool ok = answer.Status == expected || (!exact && answer.Status is 401 or 403 or 404 or 405);
        return ok ? null : $"answered {answer.Status}, not {expected}{(exact ? "" : " (or 404/405)")}: {FuzzRun.Short(answer.Body)}";
    }

    /// <summary>The role a base needs (1 read, 2 write, 3 admin), by API.md's "Access"; 0 for the probes that need no key.</summary>
    private static int Needs(FuzzBase start)
    {
        string path = start.Target.Split('?')[0];
        if (path is "health" or "ready" or "signals" || (path == "dashboard" && start.Method == "GET"))
        {
            return 0;
        }

        if (path == "keys" || path.StartsWith("keys/", StringComparison.Ordinal) || path.StartsWith("admin/", StringComparison.Ordinal))
        {
            return 3;
        }

        bool search = start.Method == "POST" && (path.EndsWith("/search", StringComparison.Ordinal) || path.EndsWith("/search:batch", StringComparison.Ordinal) || path == "v1/embeddings");
        return start.Method == "GET" || search ? 1 : path.Contains("/docs", StringComparison.Ordinal) ? 2 : 3;
    }

    /// <summary>The target in other letter cases and with doubled or trailing slashes (sent raw when it starts with '/').</summary>
    private static IEnumerable<string> Variants(string target)
    {
        string path = target.Split('?')[0];
        yield return path.ToUpperInvariant();
        yield return char.ToUpperInvariant(path[0]) + path[1..];
        yield return "/" + path;
        yield return path + "/";
    }

    private static byte[]? Valid(FuzzBase start) => start.Body is null && start.Lines is null ? null : FuzzMutations.Valid(start);

    /// <summary>The base's own body, and one mutated (bodies do not matter to a refusal, which comes first).</summary>
    private static IEnumerable<(byte[]? Body, string Mutation)> Bodies(FuzzBase start, JsonMutator mutator)
    {
        yield return (Valid(start), "valid body");
        var json = start.Body ?? start.Lines?[0];
        if (json is not null)
        {
            byte[] mutated = mutator.Mutate(json, out string how);
            yield return (mutated, how);
        }
    }

    /// <summary>Keys of each role below admin, a revoked one, and the malformed credentials.</summary>
    private async Task<List<Credential>> CredentialsAsync(string adminKey)
    {
        var read = await CreateKeyAsync("read");
        var write = await CreateKeyAsync("write");
        var revoked = await CreateKeyAsync("admin");
        (await admin.DeleteAsync($"keys/{revoked}")).AssertStatus(HttpStatusCode.OK);
        static KeyValuePair<string, string> Auth(string value) => new("Authorization", value);
        string basic = Convert.ToBase64String(Encoding.ASCII.GetBytes(adminKey + ":"));
        return
        [
            new("read key", [Auth($"Bearer {read}")], 1),
            new("write key", [Auth($"Bearer {write}")], 2),
            new("no Authorization", [], 0),
            new("unknown key", [Auth("Bearer mk_" + new string('A', 43))], 0),
            new("revoked admin key", [Auth($"Bearer {revoked}")], 0),
            new("empty bearer", [Auth("Bearer ")], 0),
            new("scheme only", [Auth("Bearer")], 0),
            new("Basic scheme", [Auth($"Basic {basic}")], 0),
            new("Token scheme", [Auth($"Token {adminKey}")], 0),
            new("no scheme", [Auth(adminKey)], 0),
            new("tab after the scheme", [Auth($"Bearer\t{adminKey}")], 0, Raw: true),
            new("admin key with a suffix", [Auth($"Bearer {adminKey}x")], 0),
            new("admin key then a word", [Auth($"Bearer {adminKey} extra")], 0),
            new("admin key cut short", [Auth($"Bearer {adminKey[..^1]}")], 0),
            new("huge key", [Auth("Bearer mk_" + new string('k', 16_000))], 0),
            new("key past the header limit", [Auth("Bearer mk_" + new string('k', 70_000))], 0, Framing: true),
            new("non-ASCII key", [Auth("Bearer mk_\u00e9\u00ff\u00a0")], 0, Raw: true, Framing: true),
            new("control characters", [Auth("Bearer mk_\u0001\u007f")], 0, Raw: true, Framing: true),
            new("escaped NUL", [Auth("Bearer mk_%00" + adminKey)], 0),
            new("SQL in the key", [Auth("Bearer ' OR '1'='1")], 0),
            new("two headers: admin twice", [Auth($"Bearer {adminKey}"), Auth($"Bearer {adminKey}")], 0, Raw: true),
            new("two headers: read then admin", [Auth($"Bearer {read}"), Auth($"Bearer {adminKey}")], 0, Raw: true),
            new("two headers: unknown then admin", [Auth("Bearer mk_nope"), Auth($"Bearer {adminKey}")], 0, Raw: true),
            new("admin key in the query", [], 0, Query: $"?api_key={adminKey}&key={adminKey}"),
            new("read key, method override", [Auth($"Bearer {read}"), new("X-HTTP-Method-Override", "DELETE"), new("X-Forwarded-For", "127.0.0.1")], 1),
        ];
    }

    private async Task<string> CreateKeyAsync(string role)
    {
        var created = (await admin.PostAsync("keys", new JsonObject { ["role"] = role })).AssertStatus(HttpStatusCode.Created).Object;
        return created["key"]!.GetValue<string>();
    }

    /// <summary>All a refused request could have changed: the seeded collections, the collections there are, the scratch
    /// collection's documents, and the keys with their roles and revocations.</summary>
    private async Task<string> WorldAsync()
    {
        var text = new StringBuilder(await scenario.SnapshotAsync());
        var collections = (await admin.GetAsync("collections")).AssertStatus(HttpStatusCode.OK).Object["collections"]!.AsArray();
        text.AppendLine(string.Join(",", collections.Select(c => c!["name"]!.GetValue<string>()).Order(StringComparer.Ordinal)));
        var scratch = await admin.SearchAsync(scenario.Scratch, new JsonObject { ["vector"] = DocJson.Vector([1f, 1f, 1f, 1f]), ["top_k"] = 1000, ["include"] = new JsonArray("text", "fields", "vector") });
        text.AppendLine(string.Join(";", scratch["hits"]!.AsArray().Select(h => h!.ToJsonString()).Order(StringComparer.Ordinal)));
        text.AppendLine(await admin.DocCountAsync(scenario.Scratch) + " scratch documents");
        var keys = (await admin.GetAsync("keys")).AssertStatus(HttpStatusCode.OK).Object["keys"]!.AsArray();
        text.AppendLine(string.Join(",", keys.Select(k => $"{k!["id"]}:{k["role"]}:{k["revoked_at"]}").Order(StringComparer.Ordinal)));
        return text.ToString();
    }
}
