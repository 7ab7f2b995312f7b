using System.Text.Json;
using Mosaic.Core.Collections;
using Mosaic.Core.Errors;

namespace Mosaic.Core.Search;

/// <summary>Parses the API's filter JSON into a <see cref="Filter"/>, checking every field against the collection.</summary>
/// <remarks>
/// Grammar (API.md): {"and": [..]} | {"or": [..]} | {"not": f} | {"field": name, op: value, ...} with ops eq, in, gt,
/// gte, lt, lte; several range ops on one clause combine (gte + lt).
/// <para>A filter's size is bounded, as a search's other parts are: at most <see cref="MaxConditions"/> field conditions and
/// <see cref="MaxValues"/> compared values in all. Every shard evaluates the whole filter; an <c>and</c> of 200,000
/// conditions (7 MB, under the 8 MiB body limit) took every shard past the search's deadline, a 503 with coverage 0.</para>
/// </remarks>
public static class FilterParser
{
    private const int MaxDepth = 32;

    /// <summary>Field conditions in one filter: the same as the values one <c>in</c> may list.</summary>
    public const int MaxConditions = 1024;

    /// <summary>Values compared in one filter, all conditions together (16 full <c>in</c> lists).</summary>
    public const int MaxValues = 16 * 1024;

    public static Filter Parse(JsonElement json, CollectionSpec spec) => Parse(json, spec, "filter", 0, new Size());

    private static Filter Parse(JsonElement json, CollectionSpec spec, string path, int depth, Size size)
    {
        if (depth > MaxDepth)
        {
            throw MosaicException.Invalid($"{path}: filter nests deeper than {MaxDepth}");
        }

        if (json.ValueKind != JsonValueKind.Object)
        {
            throw MosaicException.Invalid($"{path}: must be an object");
        }

        if ((json.TryGetProperty("and", out _) || json.TryGetProperty("or", out _) || json.TryGetProperty("not", out _)) && json.EnumerateObject().Skip(1).Any())
        {
            // Else the first combinator found was used and the rest of the object dropped without a word ({"and": [..], "or": [..]}).
            string names = string.Join(", ", json.EnumerateObject().Select(p => p.Name).Take(8));
            throw MosaicException.Invalid($"{path}: an object holds one of and, or, not, or one field condition; this one holds {names}");
        }

        if (json.TryGetProperty("and", out var and))
        {
            return new Filter.And(List(and, spec, path + ".and", depth, size));
        }

        if (json.TryGetProperty("or", out var or))
        {
            return new Filter.Or(List(or, spec, path + ".or", depth, size));
        }

        if (json.TryGetProperty("not", out var not))
        {
            return new Filter.Not(Parse(not, spec, path + ".not", depth + 1, size));
        }

        var clause = Clause(json, spec, path);
        if (++size.Conditions > MaxConditions)
        {
            throw MosaicException.Invalid($"{path}: the filter has more than {MaxConditions} field conditions; list values in one 'in' instead");
        }

        size.Values += clause switch
        {
            Filter.KeywordIn k => k.Values.Count,
            Filter.NumberIn n => n.Values.Count,
            _ => 2,
        };
        return size.Values <= MaxValues
            ? clause
            : throw MosaicException.Invalid($"{path}: the filter compares with more than {MaxValues} values in all");
    }

    private static List<Filter> List(JsonElement json, CollectionSpec spec, string path, int depth, Size size)
    {
        if (json.ValueKind != JsonValueKind.Array || json.GetArrayLength() == 0)
        {
            throw MosaicException.Invalid($"{path}: must be a non-empty array of filters");
        }

        return json.EnumerateArray().Select((item, i) => Parse(item, spec, $"{path}[{i}]", depth + 1, size)).ToList();
    }

    private static Filter Clause(JsonElement json, CollectionSpec spec, string path)
    {
        if (!json.TryGetProperty("field", out var fieldElement) || fieldElement.ValueKind != JsonValueKind.String)
        {
            throw MosaicException.Invalid($"{path}: needs \"field\" (a declared field name) or one of and/or/not");
        }

        string field = fieldElement.GetString()!;
        if (!spec.Fields.TryGetValue(field, out var type))
        {
            string declared = spec.Fields.Count == 0 ? "none are declared" : "declared: " + string.Join(", ", spec.Fields.Keys.Order());
            throw MosaicException.Invalid($"{path}.field: unknown field '{field}' ({declared})");
        }

        var ops = json.EnumerateObject().Where(p => p.Name != "field").ToList();
        if (ops.Count == 0)
        {
            throw MosaicException.Invalid($"{path}: field '{field}' needs an operator (eq, in, gt, gte, lt, lte)");
        }

        if (type == FieldType.Keyword)
        {
            if (ops.Count != 1 || ops[0].Name is not ("eq" or "in"))
            {
                throw MosaicException.Invalid($"{path}: keyword field '{field}' takes exactly one of eq, in");
            }

            var values = ops[0].Name == "eq" ? [ops[0].Value] : Array(ops[0].Value, $"{path}.in");
            return new Filter.KeywordIn(field, values.Select(v => v.ValueKind == JsonValueKind.String
                ? v.GetString()!
                : throw MosaicException.Invalid($"{path}.{ops[0].Name}: keyword field '{field}' compares with strings")).ToList());
        }

        double? min = null, max = null;
        bool minInclusive = false, maxInclusive = false;
        foreach (var op in ops)
        {
            switch (op.Name)
            {
                case "eq" when ops.Count == 1:
                    return new Filter.NumberIn(field, [Number(op.Value, $"{path}.eq", field)]);
                case "in" when ops.Count == 1:
                    return new Filter.NumberIn(field, Array(op.Value, $"{path}.in").Select(v => Number(v, $"{path}.in", field)).ToList());
                case "gt" or "gte" when min is null:
                    (min, minInclusive) = (Number(op.Value, $"{path}.{op.Name}", field), op.Name == "gte");
                    break;
                case "lt" or "lte" when max is null:
                    (max, maxInclusive) = (Number(op.Value, $"{path}.{op.Name}", field), op.Name == "lte");
                    break;
                default:
                    throw MosaicException.Invalid($"{path}.{op.Name}: not valid here (use eq or in alone, or at most one lower bound gt/gte and one upper bound lt/lte)");
            }
        }

        return new Filter.NumberRange(field, min, minInclusive, max, maxInclusive);
    }

    /// <summary>Writes a filter back in the API's JSON form (for shipping it to remote shards).</summary>
    public static string Write(Filter filter)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, filter);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Write(Utf8JsonWriter w, Filter filter)
    {
        w.WriteStartObject();
        switch (filter)
        {
            case Filter.And and:
                w.WriteStartArray("and");
                and.Items.ToList().ForEach(f => Write(w, f));
                w.WriteEndArray();
                break;
            case Filter.Or or:
                w.WriteStartArray("or");
                or.Items.ToList().ForEach(f => Write(w, f));
                w.WriteEndArray();
                break;
            case Filter.Not not:
                w.WritePropertyName("not");
                Write(w, not.Item);
                break;
            case Filter.KeywordIn k:
                w.WriteString("field", k.Field);
                w.WriteStartArray("in");
                k.Values.ToList().ForEach(w.WriteStringValue);
                w.WriteEndArray();
                break;
            case Filter.NumberIn n:
                w.WriteString("field", n.Field);
                w.WriteStartArray("in");
                n.Values.ToList().ForEach(w.WriteNumberValue);
                w.WriteEndArray();
                break;
            case Filter.NumberRange r:
                w.WriteString("field", r.Field);
                if (r.Min is double min)
                {
                    w.WriteNumber(r.MinInclusive ? "gte" : "gt", min);
                }

                if (r.Max is double max)
                {
                    w.WriteNumber(r.MaxInclusive ? "lte" : "lt", max);
                }

                break;
        }

        w.WriteEndObject();
    }

    private static JsonElement[] Array(JsonElement json, string path) =>
        json.ValueKind == JsonValueKind.Array && json.GetArrayLength() is > 0 and <= 1024
            ? json.EnumerateArray().ToArray()
            : throw MosaicException.Invalid($"{path}: must be an array of 1..1024 values");

    /// <summary>What a filter holds so far, counted as it is parsed.</summary>
    private sealed class Size
    {
        public int Conditions { get; set; }

        public int Values { get; set; }
    }

    private static double Number(JsonElement json, string path, string field) =>
        json.ValueKind == JsonValueKind.Number && double.IsFinite(json.GetDouble())
            ? json.GetDouble()
            : throw MosaicException.Invalid($"{path}: number field '{field}' compares with finite numbers");
}
