using System.Text.Json.Nodes;

namespace Mosaic.Testing.Fuzz;

/// <summary>A valid request the fuzz run starts from.</summary>
/// <param name="Writes">
/// False for requests that must never change anything whatever is done to them (they address the seeded collection, so
/// their method is never turned into PUT or DELETE); true for requests that may write, which address only scratch names.
/// </param>
/// <param name="Lines">For NDJSON bulk bodies: the lines (each mutated alone); <paramref name="Body"/> is null then.</param>
public sealed record FuzzBase(string Name, bool Writes, string Method, string Target, JsonNode? Body = null, IReadOnlyList<JsonObject>? Lines = null)
{
    public static FuzzBase Read(string name, string method, string target, JsonNode? body = null) => new(name, false, method, target, body);

    public static FuzzBase Write(string name, string method, string target, JsonNode? body = null) => new(name, true, method, target, body);
}
