using System.Text;
using System.Text.Json;
using Mosaic.Core.Collections;
using Mosaic.Core.Documents;
using Mosaic.Core.Errors;

namespace Mosaic.Coordinator.Writes;

/// <summary>Checks a document against its collection before anything is written.</summary>
public static class DocumentValidator
{
    /// <param name="where">Prefix for messages, e.g. "line 3: ", so bulk errors name the line.</param>
    public static void Validate(Document doc, CollectionSpec spec, CoordinatorOptions options, string where = "")
    {
        ValidateId(doc.Id, options, where);
        if (spec.EmbedModel is not null && doc.Vector is null && string.IsNullOrWhiteSpace(doc.Text))
        {
            throw MosaicException.Invalid($"{where}text: collection '{spec.Name}' computes vectors from text with model '{spec.EmbedModel}'; give text or vector");
        }

        if (doc.Vector is { } vector)
        {
            if (!spec.HasVectors)
            {
                throw MosaicException.Invalid($"{where}vector: collection '{spec.Name}' is keyword-only (dimension 0) and accepts no vectors");
            }

            if (vector.Length != spec.Dimension)
            {
                throw MosaicException.Invalid($"{where}vector: has {vector.Length} dimensions, collection '{spec.Name}' expects {spec.Dimension}");
            }

            VectorLimits.Check(vector, spec.Metric, where);
        }

        if (doc.FieldsJson is not null)
        {
            using var fields = JsonDocument.Parse(doc.FieldsJson);
            foreach (var (name, type) in spec.Fields)
            {
                if (!fields.RootElement.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
                {
                    continue;
                }

                bool ok = type switch
                {
                    FieldType.Keyword => value.ValueKind == JsonValueKind.String,
                    FieldType.Number => value.ValueKind == JsonValueKind.Number && double.IsFinite(value.GetDouble()),
                    _ => false,
                };
                if (!ok)
                {
                    throw MosaicException.Invalid($"{where}fields.{name}: declared as {type.ToString().ToLowerInvariant()}, got {Describe(value)}");
                }
            }
        }
    }

    public static void ValidateId(string id, CoordinatorOptions options, string where = "")
    {
        if (string.IsNullOrEmpty(id))
        {
            throw MosaicException.Invalid($"{where}id: must not be empty");
        }

        int bytes = Encoding.UTF8.GetByteCount(id);
        if (bytes > options.MaxIdBytes)
        {
            throw MosaicException.Invalid($"{where}id: is {bytes} bytes, the limit is {options.MaxIdBytes}");
        }

        if (id.Any(char.IsControl))
        {
            throw MosaicException.Invalid($"{where}id: must not contain control characters");
        }
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => double.IsFinite(value.GetDouble()) ? "a number" : $"{value.GetRawText()}, which is out of range (finite numbers only)",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => value.ValueKind.ToString().ToLowerInvariant(),
    };
}
