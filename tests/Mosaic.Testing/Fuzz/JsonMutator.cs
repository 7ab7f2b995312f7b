using System.Text;
using System.Text.Json.Nodes;

namespace Mosaic.Testing.Fuzz;

/// <summary>Mutates a valid JSON body into one hostile variant, driven by a seeded <see cref="Random"/>.</summary>
/// <remarks>
/// A mutation either changes one node of the tree (drop it, give it another JSON type or an extreme value, add an unknown
/// property, rename a property to a hostile name, nest it deeply) or breaks the text (truncate, invalid UTF-8, BOM, duplicate keys, trailing garbage, comments).
/// Values that <see cref="JsonNode"/> cannot hold (1e309, lone surrogates, 10,000 nested arrays) are spliced in as text.
/// </remarks>
public sealed class JsonMutator(Random random)
{
    private const string Marker = "@@fuzz-raw@@";

    /// <summary>Hostile values for any position, as JSON text.</summary>
    public static readonly string[] Values =
    [
        "null", "true", "false", "0", "-0", "-1", "1", "1.5", "0.5", "-2.5", "1e309", "-1e309", "1e-400", "1E3", "1.0",
        "2147483647", "2147483648", "-2147483648", "-2147483649", "9223372036854775807", "9223372036854775808",
        "-9223372036854775809", "123456789012345678901234567890", "4294967296", "1001", "1000", "10001", "65536",
        "\"\"", "\" \"", "\"x\"", "\"NaN\"", "\"Infinity\"", "\"-Infinity\"", "\"1e309\"", "\"10\"", "\"true\"", "\"null\"",
        "\"\\u0000\"", "\"\\ud800\"", "\"a\\udc00b\"", "\"\\ud83d\\ude00 é ☃ \\u200b\"", "\"é/..%2F\\\\\"", "\"a b\"",
        "3e38", "-3.4028235e38", "1e20", "1e-45", "1e-40", "[0,0,0,0]", "[3e38,3e38,3e38,3e38]", "[1e-40,0,0,0]",
        "\"..\"", "\".\"", "\"%2E%2E\"", "\"/\"",
        "[]", "{}", "[null]", "[1]", "[1,2,3]", "[\"x\"]", "[[1]]", "{\"a\":1}", "{\"\":null}", "[{}]",
    ];

    /// <summary>Hostile property names, as JSON text: the string values of <see cref="Values"/> and a long one.</summary>
    private static readonly string[] Names = [.. Values.Where(v => v.StartsWith('"')), "\"" + new string('n', 5000) + "\""];

    /// <summary>Values of another JSON type, or an extreme number, for the sweep over every path (<see cref="EveryPath"/>).</summary>
    public static readonly string[] SweepValues = ["null", "true", "\"x\"", "1.5", "-1", "0", "1e309", "2147483648", "[]", "{}"];

    /// <summary>Names every property is renamed to in the sweep: one a store may not hold (NUL), and none at all.</summary>
    private static readonly string[] SweepNames = ["\"a\\u0000\"", "\"\""];

    /// <summary>Every node of <paramref name="body"/> (and the body itself) replaced by each of <see cref="SweepValues"/>, and
    /// dropped; every property also renamed to each of <see cref="SweepNames"/>.</summary>
    /// <param name="perPath">At most this many of those for each node below the root, taken in turn (node i starts at the
    /// i-th), so a shorter sweep still gives every node several and every value to many nodes; null for all.</param>
    public static IEnumerable<(string Mutation, byte[] Body)> EveryPath(JsonNode body, int? perPath = null)
    {
        string[] all = [.. SweepValues, "drop"];
        var places = new List<(JsonNode Parent, string? Key, int Index)>();
        Collect(body, places);
        for (int p = -1; p < places.Count; p++)
        {
            var values = p < 0 || perPath is null ? all : Enumerable.Range(p, Math.Min(perPath.Value, all.Length)).Select(k => all[k % all.Length]);
            if (p >= 0 && places[p].Parent is JsonObject)
            {
                values = values.Concat(SweepNames.Select(n => "rename " + n));
            }

            foreach (string value in values)
            {
                if (p < 0)
                {
                    if (value != "drop")
                    {
                        yield return ($"body = {value}", Encoding.UTF8.GetBytes(value));
                    }

                    continue;
                }

                var root = body.DeepClone();
                var copies = new List<(JsonNode Parent, string? Key, int Index)>();
                Collect(root, copies);
                var (parent, key, index) = copies[p];
                string where = Path(places[p]);
                var raws = new List<string>();
                if (value == "drop")
                {
                    if (parent is JsonObject o)
                    {
                        o.Remove(key!);
                    }
                    else
                    {
                        ((JsonArray)parent).RemoveAt(index);
                    }
                }
                else if (value.StartsWith("rename ", StringComparison.Ordinal))
                {
                    Rename((JsonObject)parent, key!, value["rename ".Length..], raws);
                    yield return ($"{where} renamed to {value["rename ".Length..]}", Encoding.UTF8.GetBytes(Render(root, raws)));
                    continue;
                }
                else
                {
                    Set(parent, key, index, Splice(raws, value));
                }

                yield return ($"{where} = {value}", Encoding.UTF8.GetBytes(Render(root, raws)));
            }
        }
    }

    private static string Path((JsonNode Parent, string? Key, int Index) place) =>
        place.Parent.GetPath().TrimStart('$').TrimStart('.') + (place.Key is { } key ? "." + key : $"[{place.Index}]");

    /// <summary>The body as text, mutated once; <paramref name="mutation"/> says how.</summary>
    public byte[] Mutate(JsonNode body, out string mutation)
    {
        int kind = random.Next(100);
        if (kind < 55)
        {
            return Tree(body, out mutation);
        }

        return Text(Encoding.UTF8.GetBytes(body.ToJsonString()), out mutation);
    }

    /// <summary>One node of the tree changed.</summary>
    private byte[] Tree(JsonNode body, out string mutation)
    {
        var root = body.DeepClone();
        var places = new List<(JsonNode Parent, string? Key, int Index)>();
        Collect(root, places);
        var raws = new List<string>();
        if (places.Count == 0 || random.Next(10) == 0)
        {
            // The root itself.
            string raw = PickValue(raws.Count);
            mutation = $"body = {Short(raw)}";
            return Encoding.UTF8.GetBytes(raw);
        }

        var (parent, key, index) = places[random.Next(places.Count)];
        string where = key ?? $"[{index}]";
        int what = random.Next(10);
        if (what < 2)
        {
            if (parent is JsonObject o)
            {
                o.Remove(key!);
            }
            else
            {
                ((JsonArray)parent).RemoveAt(index);
            }

            mutation = $"drop {where}";
        }
        else if (what < 3 && parent is JsonObject renamed && random.Next(2) == 0)
        {
            // A hostile name for a property the server knows by name (a declared field, a filter's field): NUL, lone
            // surrogates, empty, long, unicode.
            string name = Names[random.Next(Names.Length)];
            Rename(renamed, key!, name, raws);
            mutation = $"property {where} renamed to {Short(name)}";
        }
        else if (what < 3 && parent is JsonObject unknown)
        {
            string name = random.Next(3) switch { 0 => "bogus", 1 => where.ToUpperInvariant(), _ => where + "_" };
            unknown[name] = Splice(raws, PickValue(raws.Count));
            mutation = $"unknown property {name} beside {where} = {Short(raws[^1])}";
        }
        else if (what < 4)
        {
            string raw = Deep(random.Next(3) switch { 0 => 70, 1 => 1000, _ => 10_000 });
            Set(parent, key, index, Splice(raws, raw));
            mutation = $"{where} = {Short(raw)}";
        }
        else
        {
            string raw = PickValue(raws.Count);
            Set(parent, key, index, Splice(raws, raw));
            mutation = $"{where} = {Short(raw)}";
        }

        return Encoding.UTF8.GetBytes(Render(root, raws));
    }

    /// <summary>The tree as JSON text with the spliced raw values in place of their markers.</summary>
    private static string Render(JsonNode root, List<string> raws)
    {
        string text = root.ToJsonString();
        for (int i = 0; i < raws.Count; i++)
        {
            text = text.Replace($"\"{Marker}{i}\"", raws[i], StringComparison.Ordinal);
        }

        return text;
    }

    /// <summary>The body's text broken.</summary>
    private byte[] Text(byte[] json, out string mutation)
    {
        switch (random.Next(14))
        {
            case 0:
                int cut = random.Next(json.Length);
                mutation = $"truncated at byte {cut}";
                return json[..cut];
            case 1:
                mutation = "empty body";
                return [];
            case 2:
                mutation = "BOM before the body";
                return [0xEF, 0xBB, 0xBF, .. json];
            case 3:
                byte[][] invalid = [[0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xC0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]];
                var bad = invalid[random.Next(invalid.Length)];
                int quote = InsideString(json);
                mutation = $"invalid UTF-8 {Convert.ToHexString(bad)} at byte {quote}";
                return [.. json[..quote], .. bad, .. json[quote..]];
            case 4:
                string garbage = random.Next(4) switch { 0 => " {}", 1 => "}", 2 => " x", _ => "\u0000" };
                mutation = $"trailing '{Short(garbage)}'";
                return [.. json, .. Encoding.UTF8.GetBytes(garbage)];
            case 5:
                mutation = "duplicate key";
                return DuplicateKey(json);
            case 6:
                mutation = "comment inside";
                return json.Length > 1 && json[0] == (byte)'{' ? [(byte)'{', .. "/* c */"u8, .. json[1..]] : [.. "// c\n"u8, .. json];
            case 7:
                mutation = "trailing comma";
                return json.Length > 2 && json[^1] == (byte)'}' ? [.. json[..^1], (byte)',', (byte)'}'] : [.. json, (byte)','];
            case 8:
                mutation = "10,000 nested arrays as the body";
                return Encoding.UTF8.GetBytes(Deep(10_000));
            case 9:
                mutation = "single quotes";
                return json.Select(b => b == (byte)'"' ? (byte)'\'' : b).ToArray();
            case 10:
                mutation = "whitespace only";
                return " \r\n\t "u8.ToArray();
            case 11:
                mutation = "NUL bytes";
                return [0, 0, .. json];
            case 12:
                mutation = "UTF-16 encoded";
                return Encoding.Unicode.GetBytes(Encoding.UTF8.GetString(json));
            default:
                mutation = "not JSON";
                return random.Next(3) switch { 0 => "<xml/>"u8.ToArray(), 1 => "a=1&b=2"u8.ToArray(), _ => "\"just a string\""u8.ToArray() };
        }
    }

    /// <summary>Deep nesting: arrays, objects, or the filter grammar's own and/not.</summary>
    public string Deep(int depth) => random.Next(4) switch
    {
        0 => new string('[', depth) + new string(']', depth),
        1 => string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth),
        2 => string.Concat(Enumerable.Repeat("{\"and\":[", depth)) + "{\"field\":\"price\",\"gte\":1}" + string.Concat(Enumerable.Repeat("]}", depth)),
        _ => string.Concat(Enumerable.Repeat("{\"not\":", depth)) + "{\"field\":\"category\",\"eq\":\"a\"}" + new string('}', depth),
    };

    private string PickValue(int index) => random.Next(12) switch
    {
        0 => "\"" + new string('w', random.Next(2) == 0 ? 5000 : 200_000) + "\"",
        1 => "[" + string.Join(',', Enumerable.Repeat("1", random.Next(2) == 0 ? 5 : 100_000)) + "]",
        2 => "[" + string.Join(',', Enumerable.Repeat("\"x\"", 3000)) + "]",
        _ => Values[(random.Next(Values.Length) + index) % Values.Length],
    };

    private static JsonNode Splice(List<string> raws, string raw)
    {
        raws.Add(raw);
        return JsonValue.Create($"{Marker}{raws.Count - 1}");
    }

    /// <summary>The property <paramref name="key"/> of <paramref name="parent"/> under the name <paramref name="name"/> (JSON text, spliced in as it is).</summary>
    private static void Rename(JsonObject parent, string key, string name, List<string> raws)
    {
        var value = parent[key];
        parent.Remove(key);
        raws.Add(name);
        parent[$"{Marker}{raws.Count - 1}"] = value;
    }

    private static void Set(JsonNode parent, string? key, int index, JsonNode value)
    {
        if (parent is JsonObject o)
        {
            o[key!] = value;
        }
        else
        {
            ((JsonArray)parent)[index] = value;
        }
    }

    private static void Collect(JsonNode? node, List<(JsonNode Parent, string? Key, int Index)> places)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, child) in o.ToList())
                {
                    places.Add((o, key, -1));
                    Collect(child, places);
                }

                break;
            case JsonArray a:
                for (int i = 0; i < a.Count; i++)
                {
                    places.Add((a, null, i));
                    Collect(a[i], places);
                }

                break;
        }
    }

    /// <summary>A position just inside a string value (after an opening quote), or a random one when there is none.</summary>
    private int InsideString(byte[] json)
    {
        var quotes = Enumerable.Range(0, json.Length).Where(i => json[i] == (byte)'"').ToList();
        return quotes.Count == 0 ? random.Next(json.Length + 1) : quotes[random.Next(quotes.Count)] + 1;
    }

    /// <summary>The first property of the outermost object repeated with another value: {"k": other, "k": v, ...}.</summary>
    private byte[] DuplicateKey(byte[] json)
    {
        string text = Encoding.UTF8.GetString(json);
        var node = JsonNode.Parse(text) as JsonObject;
        if (node is null || node.Count == 0)
        {
            return json;
        }

        string key = node.First().Key;
        string duplicate = $"{{\"{key}\":{Values[random.Next(Values.Length)]},";
        return Encoding.UTF8.GetBytes(duplicate + text[1..]);
    }

    private static string Short(string s) => s.Length <= 80 ? s : $"{s[..60]}...({s.Length} chars)";
}
