using System.Text.Json;

namespace Mosaic.Contracts;

/// <summary>Body of POST /v1/embeddings (OpenAI-compatible): <c>input</c> is a string or a list of strings.</summary>
/// <remarks>Unknown members are accepted (OpenAI clients send fields such as <c>user</c>) and ignored.</remarks>
public sealed record EmbeddingsRequest(string? Model = null, JsonElement? Input = null, string? EncodingFormat = null, int? Dimensions = null, string? User = null);

/// <summary>Answer of POST /v1/embeddings; <typeparamref name="T"/> is float[] or, with encoding_format base64, a base64 string of little-endian float32.</summary>
public sealed record EmbeddingsResponse<T>(string Object, List<EmbeddingData<T>> Data, string Model, EmbeddingsUsage Usage);

public sealed record EmbeddingData<T>(string Object, int Index, T Embedding);

public sealed record EmbeddingsUsage(int PromptTokens, int TotalTokens);

/// <summary>Answer of GET /v1/models.</summary>
public sealed record ModelListResponse(string Object, List<ModelResponse> Data);

public sealed record ModelResponse(string Id, string Object, long Created, string OwnedBy);

/// <summary>The embed settings of a collection: which model computes vectors from text.</summary>
[System.Text.Json.Serialization.JsonUnmappedMemberHandling(System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow)]
public sealed record EmbedBody(string? Model = null);

/// <summary>This process's embedding counters (in /cluster): cache hits per level, misses, model runs and remote calls.</summary>
/// <param name="HitRate">(l1_hits + l2_hits) / (hits + misses), 0 before any lookup.</param>
/// <param name="MeanBatch">model_texts / model_runs: the batch size dynamic batching reached.</param>
public sealed record EmbeddingStatsResponse(
    long L1Hits, long L2Hits, long Misses, double HitRate, long ModelTexts, long ModelRuns, long ModelTokens, double MeanBatch, long RemoteCalls, long RemoteFailures);
