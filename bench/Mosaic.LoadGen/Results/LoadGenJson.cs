using System.Text.Json.Serialization;
using Mosaic.LoadGen.Probe;

namespace Mosaic.LoadGen.Results;

/// <summary>Source-generated JSON of what this tool writes besides run results (those are Mosaic.Load's LoadJson): snake_case, indented, nulls omitted.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(ProbeResult))]
[JsonSerializable(typeof(Data.GenManifest))]
internal sealed partial class LoadGenJson : JsonSerializerContext;
