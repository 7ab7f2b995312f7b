using System.Text.Json.Nodes;

namespace Mosaic.Testing;

/// <summary>Builds request bodies as <see cref="JsonObject"/>s so tests control exactly what is sent.</summary>
public static class DocJson
{
    /// <summary>A document body: <c>{"id"?, "text"?, "vector"?, "fields"?}</c>.</summary>
    public static JsonObject Doc(string? text = null, float[]? vector = null, JsonObject? fields = null, string? id = null)
    {
        var doc = new JsonObject();
        if (id is not null)
        {
            doc["id"] = id;
        }

        if (text is not null)
        {
            doc["text"] = text;
        }

        if (vector is not null)
        {
            doc["vector"] = Vector(vector);
        }

        if (fields is not null)
        {
            doc["fields"] = fields;
        }

        return doc;
    }

    public static JsonArray Vector(float[] vector) => new([.. vector.Select(v => (JsonNode?)JsonValue.Create(v))]);

    /// <summary>One NDJSON line for a bulk body.</summary>
    public static string Line(JsonObject doc) => doc.ToJsonString();

    /// <summary>A bulk delete line <c>{"delete": id}</c>.</summary>
    public static string DeleteLine(string id) => new JsonObject { ["delete"] = id }.ToJsonString();

    /// <summary>A leaf filter clause <c>{"field": f, op: value, ...}</c>.</summary>
    public static JsonObject Clause(string field, params (string Op, JsonNode? Value)[] ops)
    {
        var clause = new JsonObject { ["field"] = field };
        foreach (var (op, value) in ops)
        {
            clause[op] = value;
        }

        return clause;
    }

    public static JsonObject And(params JsonNode[] items) => new() { ["and"] = new JsonArray([.. items]) };

    public static JsonObject Or(params JsonNode[] items) => new() { ["or"] = new JsonArray([.. items]) };

    public static JsonObject Not(JsonNode item) => new() { ["not"] = item };

    public static JsonArray Array(params JsonNode?[] items) => new(items);

    /// <summary>Deep-clones a node (a JsonNode can only have one parent).</summary>
    public static T Clone<T>(T node) where T : JsonNode => (T)node.DeepClone();
}
