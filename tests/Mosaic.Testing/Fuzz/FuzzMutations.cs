using System.Text;
using System.Text.Json.Nodes;

namespace Mosaic.Testing.Fuzz;

/// <summary>Turns a valid <see cref="FuzzBase"/> into one hostile request: its body mutated (<see cref="JsonMutator"/>), or
/// the request around it changed (method, content type, path, headers), driven by a seeded <see cref="Random"/>.</summary>
public static class FuzzMutations
{
    public static FuzzRequest Mutate(FuzzBase start, Random random, JsonMutator mutator, int i)
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

    public static byte[] Valid(FuzzBase start) => start.Lines is { } lines
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
        return request with { Target = path, Raw = raw || request.Raw, Framing = framing, Mutation = $"{request.Mutation}; path {FuzzRun.Short(path)} (case {i})" };
    }
}
