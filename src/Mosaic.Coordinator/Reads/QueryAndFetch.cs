using Mosaic.Core.Search;

namespace Mosaic.Coordinator.Reads;

/// <summary>When a search fetches its payloads in the same round as its hits (query-and-fetch) instead of a second one.</summary>
/// <remarks>
/// Query-then-fetch reads top_k payload rows after the merge but costs a second call to every shard involved;
/// query-and-fetch reads up to shards × top_k × lists rows (most thrown away by the merge) in one call per shard. With
/// remote shards the saved round trip costs far more than the extra rows (bench/README.md, "Cluster"); in-process the
/// fetch is a direct call and the extra rows are the only difference, so the embedded server keeps query-then-fetch.
/// </remarks>
public static class QueryAndFetch
{
    /// <summary>Whether the rows one round would read (shards × top_k per list searched) are at most <paramref name="maxRows"/>.</summary>
    public static bool Applies(int shards, int topK, SearchMode mode, int maxRows)
    {
        long rows = (long)shards * topK * (mode == SearchMode.Hybrid ? 2 : 1);
        return rows <= maxRows;
    }
}
