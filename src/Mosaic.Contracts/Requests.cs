using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mosaic.Contracts;

/// <summary>Body of PUT /collections/{name}.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CreateCollectionRequest(
    int? Dimension = null,
    string? Metric = null,
    int? Shards = null,
    int? Replicas = null,
    Dictionary<string, string>? Fields = null,
    HnswBody? Hnsw = null,
    EmbedBody? Embed = null,
    string? Quantization = null,
    RoutingBody? Routing = null);

/// <summary>Body of PATCH /collections/{name}: the one setting a live collection may change, its replica count.</summary>
public sealed record UpdateCollectionRequest(int? Replicas = null);

/// <summary>HNSW settings of a collection.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record HnswBody(int? M = null, int? EfConstruction = null, int? EfSearch = null);

/// <summary>A collection's routing key: a declared keyword field, and how many slots each of its values owns (default 8).</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record RoutingBody(string? Field = null, int? Slots = null);

/// <summary>A document in a PUT body or an NDJSON bulk line; a bulk line may instead be {"delete": id}.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record DocumentBody(
    string? Id = null,
    string? Text = null,
    float[]? Vector = null,
    JsonElement? Fields = null,
    string? Delete = null);

/// <summary>Body of POST /collections/{name}/search.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record SearchRequest(
    string? Mode = null,
    string? Query = null,
    float[]? Vector = null,
    int? TopK = null,
    JsonElement? Filter = null,
    ConsistencyBody? Consistency = null,
    int? TimeoutMs = null,
    bool? AllowPartial = null,
    string[]? Include = null,
    int? EfSearch = null,
    FusionBody? Fusion = null,
    int? Offset = null,
    double? MinScore = null);

/// <summary>How a hybrid search fuses its vector and keyword lists (weighted reciprocal rank fusion).</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record FusionBody(int? K = null, double? VectorWeight = null, double? KeywordWeight = null, int? Window = null);

/// <summary>Read-your-writes: wait until the shards applied the token of a write.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ConsistencyBody(string? After = null);

/// <summary>Body of POST /collections/{name}/search:batch.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record BatchSearchRequest(List<SearchRequest>? Searches = null);
