using System.Text.Json.Serialization;

namespace Mosaic.Contracts;

/// <summary>Source-generated JSON for every contract type: snake_case names, nulls omitted.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Disallow,
    AllowTrailingCommas = false)]
[JsonSerializable(typeof(CreateCollectionRequest))]
[JsonSerializable(typeof(UpdateCollectionRequest))]
[JsonSerializable(typeof(DocumentBody))]
[JsonSerializable(typeof(SearchRequest))]
[JsonSerializable(typeof(BatchSearchRequest))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(CollectionResponse))]
[JsonSerializable(typeof(CollectionListResponse))]
[JsonSerializable(typeof(DocumentResponse))]
[JsonSerializable(typeof(WriteResponse))]
[JsonSerializable(typeof(BulkResponse))]
[JsonSerializable(typeof(DeletedResponse))]
[JsonSerializable(typeof(SearchResponse))]
[JsonSerializable(typeof(PartialFailureResponse))]
[JsonSerializable(typeof(BatchSearchResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(ClusterResponse))]
[JsonSerializable(typeof(EmbeddingsRequest))]
[JsonSerializable(typeof(EmbeddingsResponse<float[]>))]
[JsonSerializable(typeof(EmbeddingsResponse<string>))]
[JsonSerializable(typeof(ModelListResponse))]
[JsonSerializable(typeof(SplitResponse))]
[JsonSerializable(typeof(DrainResponse))]
[JsonSerializable(typeof(CreateKeyRequest))]
[JsonSerializable(typeof(KeyResponse))]
[JsonSerializable(typeof(KeyListResponse))]
[JsonSerializable(typeof(BackupRequest))]
[JsonSerializable(typeof(BackupManifest))]
[JsonSerializable(typeof(NodeSignalsResponse))]
[JsonSerializable(typeof(DashboardResponse))]
[JsonSerializable(typeof(AdviceResponse))]
public sealed partial class MosaicJsonContext : JsonSerializerContext;

/// <summary>The JSON settings of the API, shared by server and client.</summary>
public static class MosaicJson
{
    /// <summary>Snake-case contracts without HTML-escaping (error details quote names with apostrophes; we never render HTML).</summary>
    /// <remarks>A property given twice in one object is refused (as Elasticsearch does), not resolved to the last value: a
    /// client that sends both <c>top_k: 10</c> and <c>top_k: 1000</c> has a bug that "last wins" would hide.</remarks>
    public static MosaicJsonContext Api { get; } = new(new System.Text.Json.JsonSerializerOptions
    {
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        AllowDuplicateProperties = false,
    });
}
