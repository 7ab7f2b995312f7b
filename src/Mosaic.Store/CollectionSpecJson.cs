using System.Text.Json;
using System.Text.Json.Serialization;
using Mosaic.Core.Collections;

namespace Mosaic.Store;

/// <summary>The stored form of a collection's settings (a JSON column), independent of the HTTP contract.</summary>
internal static class CollectionSpecJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        Converters = { new JsonStringEnumConverter() },
    };

    private sealed record Stored(string Name, int Dimension, VectorMetric Metric, int Shards, int Replicas, Dictionary<string, FieldType> Fields, int M, int EfConstruction, int EfSearch, string? EmbedModel = null, VectorQuantization Quantization = VectorQuantization.Float, RoutingSettings? Routing = null);

    public static string Write(CollectionSpec spec) => JsonSerializer.Serialize(
        new Stored(spec.Name, spec.Dimension, spec.Metric, spec.Shards, spec.Replicas, new Dictionary<string, FieldType>(spec.Fields), spec.Hnsw.M, spec.Hnsw.EfConstruction, spec.Hnsw.EfSearch, spec.EmbedModel, spec.Hnsw.Quantization, spec.Routing),
        Options);

    public static CollectionSpec Read(string json)
    {
        var s = JsonSerializer.Deserialize<Stored>(json, Options) ?? throw new InvalidDataException("empty collection spec");
        return new CollectionSpec(s.Name, s.Dimension, s.Metric, s.Shards, s.Replicas, s.Fields, new HnswSettings(s.M, s.EfConstruction, s.EfSearch, s.Quantization), s.EmbedModel, s.Routing);
    }
}
