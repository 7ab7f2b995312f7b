using System.Text;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Mosaic.Testing.Fuzz;

/// <summary>One fuzz run's clients: sends requests made from <see cref="FuzzBase"/>s, checks each answer, and keeps the
/// failures and the statuses seen (shared by concurrent clients, so behind a lock).</summary>
/// <remarks>An answer is fine when it comes back within the client's deadline with a status below 500 and, on a 4xx, the
/// contract's <c>{error, detail}</c> body (<see cref="Check"/>).</remarks>
public sealed class FuzzRun(int seed, bool verbose, IReadOnlyList<FuzzBase> bases, FuzzClient client, ITestOutputHelper output)
{
    private readonly Lock _lock = new();

    public List<string> Failures { get; } = [];

    public SortedDictionary<int, int> Statuses { get; } = [];

    /// <summary>No randomness: every path of every base's body given each other JSON type or an extreme number, and dropped.</summary>
    /// <param name="perPath">At most this many of those values for each path (<see cref="JsonMutator.EveryPath"/>); null for all.</param>
    public async Task SweepAsync(int? perPath = null)
    {
        int i = 0;
        foreach (var start in bases.DistinctBy(b => b.Name))
        {
            var bodies = start.Lines is { } lines
                ? lines.SelectMany((line, n) => JsonMutator.EveryPath(line, perPath).Select(m => ($"line {n + 1}: {m.Mutation}", Join(lines, n, m.Body))))
                : start.Body is { } body ? JsonMutator.EveryPath(body, perPath) : [];
            foreach (var (mutation, bytes) in bodies)
            {
                await OneAsync(start, new FuzzRequest(start.Method, start.Target, bytes, start.Lines is null ? "application/json" : "application/x-ndjson", [], false, mutation), i++, "sweep ");
            }
        }
    }

    private static byte[] Join(IReadOnlyList<JsonObject> lines, int replaced, byte[] line) =>
        [.. lines.SelectMany((l, n) => (byte[])[.. n == replaced ? line : Encoding.UTF8.GetBytes(l.ToJsonString()), (byte)'\n'])];

    /// <summary><paramref name="cases"/> requests, each from a random base, mutated (<see cref="FuzzMutations.Mutate"/>).</summary>
    public async Task CasesAsync(Random random, int cases, string who)
    {
        var mutator = new JsonMutator(random);
        for (int i = 0; i < cases && Failures.Count < 25; i++)
        {
            var start = bases[random.Next(bases.Count)];
            await OneAsync(start, FuzzMutations.Mutate(start, random, mutator, i), i, who);
        }
    }

    /// <summary>Sends one request; a bad answer (or <paramref name="expect"/> saying no) is recorded as a failure.</summary>
    /// <param name="expect">A further check of the answer: null when it is fine, else what is wrong.</param>
    public async Task<FuzzAnswer?> OneAsync(FuzzBase start, FuzzRequest request, int i, string who, Func<FuzzAnswer, string?>? expect = null)
    {
        string? problem;
        FuzzAnswer? answer = null;
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            answer = await client.SendAsync(request);
            problem = Check(request, answer) ?? expect?.Invoke(answer);
            lock (_lock)
            {
                Statuses[answer.Status] = Statuses.GetValueOrDefault(answer.Status) + 1;
                if (verbose)
                {
                    output.WriteLine($"{who}{i} {answer.Status} {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms {start.Name} [{Short(request.Mutation)}] {Short(answer.Body)}");
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

        return answer;
    }

    /// <summary>The answer breaks the contract: a 5xx, or a 4xx without <c>{error, detail}</c>; null when it is fine.</summary>
    public static string? Check(FuzzRequest request, FuzzAnswer answer)
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

        return IsErrorBody(answer.Body) ? null : $"answered {answer.Status} without an {{error, detail}} body: '{Short(answer.Body)}'";
    }

    /// <summary>The contract's error body: a JSON object with a non-empty string <c>error</c> and <c>detail</c>.</summary>
    public static bool IsErrorBody(string text)
    {
        JsonObject? body = null;
        try
        {
            body = JsonNode.Parse(text) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
        }

        return body?["error"] is JsonValue e && e.TryGetValue<string>(out var code) && code.Length > 0
            && body["detail"] is JsonValue d && d.TryGetValue<string>(out var detail) && detail.Length > 0;
    }

    /// <summary>The body names a timeout_ms under a second (at any depth: a batch's searches too).</summary>
    private static bool HasShortDeadline(byte[]? body)
    {
        try
        {
            // The server reads a body after a UTF-8 byte order mark (a mutation adds one); so must this check.
            if (body is null)
            {
                return false;
            }

            ReadOnlySpan<byte> utf8 = body;
            var json = JsonNode.Parse(utf8.StartsWith("\uFEFF"u8) ? utf8[3..] : utf8);
            return json is not null && Nodes(json).Any(n =>
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

    internal static string Short(string s) => s.Length <= 300 ? s : s[..300] + "...";
}
