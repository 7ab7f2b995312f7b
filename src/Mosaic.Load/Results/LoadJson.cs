using System.Text.Json.Serialization;

namespace Mosaic.Load.Results;

/// <summary>Source-generated JSON of a load run's result: snake_case, indented, nulls omitted.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(RunResult))]
public sealed partial class LoadJson : JsonSerializerContext;
