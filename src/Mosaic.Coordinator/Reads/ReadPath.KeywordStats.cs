using Mosaic.Core.Collections;
using Mosaic.Core.Search;
using Mosaic.Core.Seams;

namespace Mosaic.Coordinator.Reads;

public sealed partial class ReadPath
{
    /// <summary>
    /// The dfs phase of a keyword or hybrid search over several shards: every shard's part of the BM25 statistics of
    /// the query, summed, so that each shard scores with the collection's numbers (Elasticsearch's dfs_query_then_fetch).
    /// </summary>
    /// <returns>Null when one shard holds everything (its own statistics are the collection's), the mode has no text, or
    /// no shard answered (each then scores with its own).</returns>
    /// <remarks>
    /// Every shard at once, each with the request's remaining deadline; a shard whose replicas all fail adds nothing
    /// (its search call will fail too and be reported as partial). The shards wait for the request's read-your-writes
    /// seqs first, so the statistics cover the writes the answer must show.
    /// </remarks>
    private async Task<KeywordStats?> KeywordStatsAsync(
        CollectionInfo info, IReadOnlyList<ShardRoute> routes, SearchQuery query, IReadOnlyDictionary<int, long>? after, TimeSpan timeout, CancellationToken ct)
    {
        if (routes.Count < 2 || query.Mode == SearchMode.Vector || string.IsNullOrWhiteSpace(query.Query))
        {
            return null;
        }

        using var timer = new CancellationTokenSource(timeout > TimeSpan.Zero ? timeout : TimeSpan.FromMilliseconds(1), time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct, timer.Token);
        var calls = routes.Select(async route =>
        {
            var range = route.Shard.Range;
            var request = new ShardSearchRequest(
                info.Id, route.Shard.Id, SearchMode.Keyword, null, query.Query, null, 1, null, false, false, false,
                after?.Where(p => range.Contains(p.Key)).ToDictionary(p => p.Key, p => p.Value));
            foreach (var replica in selector.Order(route.Replicas))
            {
                try
                {
                    return await replica.GetKeywordStatsAsync(request, deadline.Token).ConfigureAwait(false);
                }
                catch (Exception) when (!ct.IsCancellationRequested)
                {
                    if (deadline.IsCancellationRequested)
                    {
                        break;
                    }

                    // Otherwise try the next replica.
                }
            }

            return null;
        }).ToList();
        var parts = await Task.WhenAll(calls).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        var answered = parts.OfType<KeywordStats>().ToList();
        return answered.Count > 0 ? KeywordStats.Sum(answered) : null;
    }
}
