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
            // Statistics are cheap: ask every replica at once and take the first answer, so a hung replica (which the
            // search itself hedges around) cannot spend the request's whole deadline here.
            using var race = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
            var asks = route.Replicas.Select(replica => replica.GetKeywordStatsAsync(request, race.Token)).ToList();
            try
            {
                while (asks.Count > 0)
                {
                    var done = await Task.WhenAny(asks).ConfigureAwait(false);
                    asks.Remove(done);
                    if (done.IsCompletedSuccessfully)
                    {
                        return done.Result;
                    }
                }
            }
            finally
            {
                await race.CancelAsync().ConfigureAwait(false);
                foreach (var loser in asks)
                {
                    _ = loser.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
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
