using System.Text.RegularExpressions;

namespace Mosaic.Core.Collections;

/// <summary>The settings a collection is created with; all but <see cref="Replicas"/> are immutable once created.</summary>
/// <remarks>
/// <see cref="Dimension"/> 0 means a keyword-only collection that accepts no vectors. With <see cref="EmbedModel"/> set,
/// documents without a vector get one computed from their text at write, and searches without one embed their query.
/// <see cref="Routing"/> null: every document's slot is the hash of its id.
/// </remarks>
public sealed partial record CollectionSpec(
    string Name,
    int Dimension,
    VectorMetric Metric,
    int Shards,
    int Replicas,
    IReadOnlyDictionary<string, FieldType> Fields,
    HnswSettings Hnsw,
    string? EmbedModel = null,
    RoutingSettings? Routing = null)
{
    public const int MaxDimension = 4096;
    public const int MaxShards = 256;

    /// <summary>The most replicas a shard may have (a create and a change of R alike).</summary>
    public const int MaxReplicas = 16;

    public bool HasVectors => Dimension > 0;

    public static bool IsValidName(string name) => NamePattern().IsMatch(name);

    /// <summary>Equality by value, fields included (records compare dictionaries by reference).</summary>
    public bool SameSettingsAs(CollectionSpec other) =>
        Name == other.Name && Dimension == other.Dimension && Metric == other.Metric && Shards == other.Shards
        && Replicas == other.Replicas && Hnsw == other.Hnsw && EmbedModel == other.EmbedModel && Fields.Count == other.Fields.Count
        && Routing == other.Routing
        && Fields.All(f => other.Fields.TryGetValue(f.Key, out var t) && t == f.Value);

    [GeneratedRegex("^[a-z0-9_-]{1,64}$")]
    private static partial Regex NamePattern();
}
