using Mosaic.Core.Collections;
using Mosaic.Core.Search;
using Mosaic.Core.Seams;

namespace Mosaic.Coordinator.Reads;

/// <summary>Gives a search on a collection with an embedding model the vector of its query text, when it brought none.</summary>
/// <remarks>
/// Only a search that uses vectors is embedded (vector or hybrid mode; with no mode given, query text alone means hybrid
/// on such a collection). A search that carries its own vector never calls the embedder, so it keeps working while the
/// embedders are down. Oversized or empty query text is left for validation to reject with its usual message.
/// </remarks>
public static class QueryEmbedding
{
    public static async Task<SearchQuery> ResolveAsync(IEmbedder? embedder, CollectionSpec spec, SearchQuery query, CancellationToken ct)
    {
        if (embedder is null || spec.EmbedModel is not { } model || query.Vector is not null || string.IsNullOrWhiteSpace(query.Query) || query.Query.Length > 4096)
        {
            return query;
        }

        var mode = query.ModeImplied ? SearchMode.Hybrid : query.Mode;
        if (mode == SearchMode.Keyword)
        {
            return query;
        }

        var result = await embedder.EmbedAsync(model, [query.Query], ct).ConfigureAwait(false);
        return query with { Mode = mode, Vector = result.Vectors[0] };
    }
}
