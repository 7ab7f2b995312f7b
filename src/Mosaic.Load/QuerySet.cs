using System.Text.Json;

namespace Mosaic.Load;

/// <summary>Reads a query file: NDJSON, one <c>{"vector": [...], "query": "...", "filter": {...}}</c> per line; other properties are ignored.</summary>
public static class QuerySet
{
    private const int MaxLines = 1_000_000;

    public static List<QueryLine> Load(FileInfo file)
    {
        if (!file.Exists)
        {
            throw new FileNotFoundException($"query file not found: {file.FullName}");
        }

        var lines = new List<QueryLine>();
        int number = 0;
        foreach (string text in File.ReadLines(file.FullName))
        {
            number++;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            if (lines.Count >= MaxLines)
            {
                throw new InvalidDataException($"{file.Name}: more than {MaxLines} queries");
            }

            try
            {
                using var doc = JsonDocument.Parse(text);
                var root = doc.RootElement;
                float[]? vector = null;
                if (root.TryGetProperty("vector", out var v) && v.ValueKind == JsonValueKind.Array)
                {
                    vector = new float[v.GetArrayLength()];
                    int i = 0;
                    foreach (var x in v.EnumerateArray())
                    {
                        vector[i++] = x.GetSingle();
                    }
                }

                string? query = root.TryGetProperty("query", out var q) && q.ValueKind == JsonValueKind.String ? q.GetString() : null;
                JsonElement? filter = root.TryGetProperty("filter", out var f) && f.ValueKind == JsonValueKind.Object ? f.Clone() : null;
                lines.Add(new QueryLine(vector, query, filter));
            }
            catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
            {
                throw new InvalidDataException($"{file.Name} line {number}: {ex.Message}", ex);
            }
        }

        return lines;
    }
}
