using System.Text.Json;
using Mosaic.Contracts;
using Mosaic.Coordinator.Reads;
using Mosaic.Core.Collections;
using Mosaic.Core.Documents;
using Mosaic.Core.Embedding;
using Mosaic.Core.Errors;
using Mosaic.Core.Search;
using Mosaic.Core.Slots;

namespace Mosaic.Hosting.Http;

/// <summary>Between the HTTP contract and the domain: defaults, enum names, and shape checks with field-named errors.</summary>
internal static class ContractMapping
{
    public const int DefaultShards = 2;

    public static CollectionSpec ToSpec(string name, CreateCollectionRequest body)
    {
        if (!CollectionSpec.IsValidName(name))
        {
            throw MosaicException.Invalid($"name: '{Truncate(name)}' is not a valid collection name (use 1..64 of a-z, 0-9, _ and -)");
        }

        string? embedModel = null;
        if (body.Embed is { } embed)
        {
            var model = EmbeddingModel.Get(embed.Model ?? throw MosaicException.Invalid("embed.model: required (known: " + string.Join(", ", EmbeddingModel.Known.Select(m => m.Name)) + ")"), "embed.model");
            if (body.Dimension is int given && given != model.Dimension)
            {
                throw MosaicException.Invalid($"dimension: model '{model.Name}' makes {model.Dimension}-dimensional vectors, got {given}");
            }

            embedModel = model.Name;
        }

        int dimension = body.Dimension ?? (embedModel is null ? 0 : EmbeddingModel.Get(embedModel, "embed.model").Dimension);
        if (dimension is < 0 or > CollectionSpec.MaxDimension)
        {
            throw MosaicException.Invalid($"dimension: must be within 0..{CollectionSpec.MaxDimension}, got {dimension}");
        }

        var metric = body.Metric switch
        {
            null or "cosine" => VectorMetric.Cosine,
            "dot" => VectorMetric.Dot,
            "l2" => VectorMetric.L2,
            _ => throw MosaicException.Invalid($"metric: must be cosine, dot or l2, got '{Truncate(body.Metric)}'"),
        };
        int shards = body.Shards ?? DefaultShards;
        if (shards is < 1 or > CollectionSpec.MaxShards)
        {
            throw MosaicException.Invalid($"shards: must be within 1..{CollectionSpec.MaxShards}, got {shards}");
        }

        int replicas = CheckReplicas(body.Replicas ?? 1);

        var fields = new Dictionary<string, FieldType>(StringComparer.Ordinal);
        foreach (var (field, type) in body.Fields ?? [])
        {
            if (string.IsNullOrEmpty(field) || field.Length > 128)
            {
                throw MosaicException.Invalid("fields: field names must be 1..128 characters");
            }

            // PostgreSQL (the cluster's store) cannot hold U+0000 in the collection's settings; refused on every store alike.
            if (field.Contains('\0', StringComparison.Ordinal))
            {
                throw MosaicException.Invalid("fields: field names must not contain the NUL character (\\u0000)");
            }

            fields[field] = type switch
            {
                "keyword" => FieldType.Keyword,
                "number" => FieldType.Number,
                _ => throw MosaicException.Invalid($"fields.{field}: type must be keyword or number, got '{Truncate(type)}'"),
            };
        }

        var quantization = body.Quantization switch
        {
            null or "float" => VectorQuantization.Float,
            "int8" => VectorQuantization.Int8,
            "binary" => VectorQuantization.Binary,
            _ => throw MosaicException.Invalid($"quantization: must be float, int8 or binary, got '{Truncate(body.Quantization)}'"),
        };
        if (quantization == VectorQuantization.Binary && dimension < 384)
        {
            // One bit per dimension ranks too coarsely below that for rescoring to recover the order.
            throw MosaicException.Invalid($"quantization: binary needs a dimension of at least 384, got {dimension}");
        }

        var hnsw = new HnswSettings(
            body.Hnsw?.M ?? HnswSettings.Default.M,
            body.Hnsw?.EfConstruction ?? HnswSettings.Default.EfConstruction,
            body.Hnsw?.EfSearch ?? HnswSettings.Default.EfSearch,
            quantization);
        if (hnsw.M is < 2 or > 128)
        {
            throw MosaicException.Invalid($"hnsw.m: must be within 2..128, got {hnsw.M}");
        }

        if (hnsw.EfConstruction is < 1 or > 4096)
        {
            throw MosaicException.Invalid($"hnsw.ef_construction: must be within 1..4096, got {hnsw.EfConstruction}");
        }

        if (hnsw.EfSearch is < 1 or > 10_000)
        {
            throw MosaicException.Invalid($"hnsw.ef_search: must be within 1..10000, got {hnsw.EfSearch}");
        }

        return new CollectionSpec(name, dimension, metric, shards, replicas, fields, hnsw, embedModel, ToRouting(body.Routing, fields));
    }

    /// <summary>A replica count R, at creation or in a change of it.</summary>
    public static int CheckReplicas(int replicas) => replicas is >= 1 and <= CollectionSpec.MaxReplicas
        ? replicas
        : throw MosaicException.Invalid($"replicas: must be within 1..{CollectionSpec.MaxReplicas}, got {replicas}");

    private static RoutingSettings? ToRouting(RoutingBody? body, Dictionary<string, FieldType> fields)
    {
        if (body is null)
        {
            return null;
        }

        if (string.IsNullOrEmpty(body.Field))
        {
            throw MosaicException.Invalid("routing.field: name the keyword field whose values route documents");
        }

        if (!fields.TryGetValue(body.Field, out var type) || type != FieldType.Keyword)
        {
            throw MosaicException.Invalid($"routing.field: '{Truncate(body.Field)}' must be a field declared as keyword in fields");
        }

        int slots = body.Slots ?? RoutingSettings.DefaultSlots;
        if (slots is < 1 or > SlotHasher.SlotCount)
        {
            throw MosaicException.Invalid($"routing.slots: must be within 1..{SlotHasher.SlotCount}, got {slots}");
        }

        return new RoutingSettings(body.Field, slots);
    }

    public static CollectionResponse ToResponse(CollectionSpec spec, long? docCount = null, List<ShardStatsResponse>? stats = null) => new(
        spec.Name,
        spec.Dimension,
        spec.Metric.ToString().ToLowerInvariant(),
        spec.Shards,
        spec.Replicas,
        spec.Fields.ToDictionary(f => f.Key, f => f.Value.ToString().ToLowerInvariant()),
        new HnswResponse(spec.Hnsw.M, spec.Hnsw.EfConstruction, spec.Hnsw.EfSearch),
        docCount,
        stats,
        spec.EmbedModel is { } model ? new EmbedBody(model) : null,
        spec.Hnsw.Quantization.ToString().ToLowerInvariant(),

        spec.Routing is { } routing ? new RoutingResponse(routing.Field, routing.Slots) : null);

    public static Document ToDocument(string id, DocumentBody body, string where = "")
    {
        if (body.Delete is not null)
        {
            throw MosaicException.Invalid($"{where}delete: only allowed as a bulk line of its own");
        }

        string? fields = null;
        if (body.Fields is { } f && f.ValueKind != JsonValueKind.Null)
        {
            if (f.ValueKind != JsonValueKind.Object)
            {
                throw MosaicException.Invalid($"{where}fields: must be a JSON object");
            }

            fields = f.GetRawText();
        }

        return new Document(id, body.Text, body.Vector, fields);
    }

    /// <param name="arrived">When the request arrived (a <see cref="TimeProvider"/> timestamp): its timeout_ms counts from there.</param>
    public static SearchQuery ToQuery(SearchRequest body, long? arrived = null, string where = "")
    {
        var mode = body.Mode switch
        {
            "vector" => SearchMode.Vector,
            "keyword" => SearchMode.Keyword,
            "hybrid" => SearchMode.Hybrid,
            null when body.Vector is not null && body.Query is not null => SearchMode.Hybrid,
            null when body.Vector is not null => SearchMode.Vector,
            null when body.Query is not null => SearchMode.Keyword,
            null => throw MosaicException.Invalid($"{where}mode: give mode (vector, keyword or hybrid) with a vector and/or query"),
            _ => throw MosaicException.Invalid($"{where}mode: must be vector, keyword or hybrid, got '{Truncate(body.Mode)}'"),
        };
        bool text = body.Include is null, fields = body.Include is null, vector = false;
        foreach (var item in body.Include ?? [])
        {
            switch (item)
            {
                case "text": text = true; break;
                case "fields": fields = true; break;
                case "vector": vector = true; break;
                default: throw MosaicException.Invalid($"{where}include: items must be text, fields or vector, got '{Truncate(item)}'");
            }
        }

        return new SearchQuery(
            mode, body.Vector, body.Query, body.Filter is { ValueKind: not JsonValueKind.Null } filter ? filter : null,
            body.TopK ?? 10, body.EfSearch, body.Consistency?.After, body.TimeoutMs, body.AllowPartial ?? true, text, fields, vector, ModeImplied: body.Mode is null)
        {
            Fusion = body.Fusion is { } fusion ? ToFusion(fusion, where) : null,
            Offset = body.Offset ?? 0,
            Arrived = arrived,
            MinScore = body.MinScore switch
            {
                null => null,
                double m when double.IsFinite(m) && Math.Abs(m) <= float.MaxValue => (float)m,
                double m => throw MosaicException.Invalid($"{where}min_score: must be a finite number, got {m}"),
            },
        };
    }

    /// <summary>The fusion settings, each checked; whether they fit the search (hybrid, window ≥ top_k) is the read path's.</summary>
    private static Fusion ToFusion(FusionBody body, string where)
    {
        const double MaxWeight = 1000;
        int k = body.K ?? ResultMerger.RrfK;
        if (k is < 1 or > 10_000)
        {
            throw MosaicException.Invalid($"{where}fusion.k: must be within 1..10000, got {k}");
        }

        double Weight(double? value, string name) => value switch
        {
            null => 1,
            double w when double.IsFinite(w) && w is >= 0 and <= MaxWeight => w,
            double w => throw MosaicException.Invalid($"{where}fusion.{name}: must be a number within 0..{MaxWeight}, got {w}"),
        };

        double vectorWeight = Weight(body.VectorWeight, "vector_weight"), keywordWeight = Weight(body.KeywordWeight, "keyword_weight");
        if (vectorWeight == 0 && keywordWeight == 0)
        {
            throw MosaicException.Invalid($"{where}fusion: vector_weight and keyword_weight cannot both be 0");
        }

        if (body.Window is < 1 or > Fusion.MaxWindow)
        {
            throw MosaicException.Invalid($"{where}fusion.window: must be within 1..{Fusion.MaxWindow}, got {body.Window}");
        }

        return new Fusion(k, vectorWeight, keywordWeight, body.Window);
    }

    public static ShardsReport ToReport(SearchAnswer answer) => new(
        answer.ShardsTotal,
        answer.ShardsOk,
        answer.Failures.Count,
        answer.Failures.Select(f => new ShardFailureResponse(f.Shard, f.Reason)).ToList());

    public static JsonElement? ParseFields(string? json)
    {
        if (json is null)
        {
            return null;
        }

        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }

    private static string Truncate(string? value) => value is null ? "" : value.Length <= 64 ? value : value[..64] + "…";
}
