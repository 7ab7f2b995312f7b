using System.Text.Json;

namespace Mosaic.Load;

/// <summary>One line of a query file: a vector, a text, and optionally a filter (any of them may be absent).</summary>
public sealed record QueryLine(float[]? Vector, string? Query, JsonElement? Filter);
