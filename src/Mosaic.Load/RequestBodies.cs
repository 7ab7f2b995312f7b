using System.Text.Json;
using Mosaic.Contracts;

namespace Mosaic.Load;

/// <summary>Search bodies serialized once, before timing starts, so the timed loop only picks a byte array.</summary>
public sealed class RequestBodies
{
    private readonly byte[][] _bodies;

    private RequestBodies(byte[][] bodies) => _bodies = bodies;

    public int Count => _bodies.Length;

    public byte[] this[int index] => _bodies[index];

    /// <summary>One body per usable query line: vector mode needs a vector, keyword a text, hybrid both.</summary>
    /// <param name="globalFilter">Used for lines without a filter of their own.</param>
    public static RequestBodies Build(IReadOnlyList<QueryLine> lines, string mode, int topK, string[]? include, JsonElement? globalFilter, int? efSearch)
    {
        bool needsVector = mode is "vector" or "hybrid";
        bool needsQuery = mode is "keyword" or "hybrid";
        var bodies = new List<byte[]>(lines.Count);
        foreach (var line in lines)
        {
            if ((needsVector && line.Vector is null) || (needsQuery && string.IsNullOrWhiteSpace(line.Query)))
            {
                continue;
            }

            var request = new SearchRequest(
                Mode: mode,
                Query: needsQuery ? line.Query : null,
                Vector: needsVector ? line.Vector : null,
                TopK: topK,
                Filter: line.Filter ?? globalFilter,
                Include: include,
                EfSearch: efSearch);
            bodies.Add(JsonSerializer.SerializeToUtf8Bytes(request, MosaicJson.Api.SearchRequest));
        }

        if (bodies.Count == 0)
        {
            throw new InvalidDataException($"no query line has what mode '{mode}' needs ({(needsVector ? "vector" : "")}{(needsVector && needsQuery ? " and " : "")}{(needsQuery ? "query" : "")})");
        }

        return new RequestBodies([.. bodies]);
    }
}
