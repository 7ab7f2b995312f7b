using Mosaic.Core.Collections;
using Mosaic.Core.Errors;
using Mosaic.Core.Search;
using Mosaic.Core.Seams;

namespace Mosaic.Coordinator.Reads;

public sealed partial class ReadPath
{
    /// <summary>
    /// The dfs phase of a keyword or hybrid search over several shards: every shard's part of the BM25 statistics of
    /// the query, summed, so that each shard scores with the collection's numbers (Elasticsearch's dfs_query_then_fetch).
    /// </summary>
    /// <returns>
    /// The summed statistics (null when one shard holds everything, its own statistics being the collection's, or the mode
    /// has no text), and the shards that gave none: they are missing from the answer, since their hits could not be
    /// scored with the collection's numbers, nor the others' with theirs.
    /// </returns>
    /// <remarks>
    /// Every shard at once, every replica of it at once, within <paramref name="left"/> (what is left of the request's
    /// deadline); once one shard has answered, the others get a third of what is left (<see cref="StragglerCut"/>), so a hung
    /// shard leaves the search phase its time (and the answer is partial) instead of using the whole deadline up here.
    /// The shards wait for the request's read-your-writes seqs first, so the statistics cover the writes the answer must show.
    /// </remarks>
    private async ValueTask<(KeywordStats? Stats, IReadOnlyDictionary<int, ShardFailure>? Missing)> KeywordStatsAsync(
        CollectionInfo info, IReadOnlyList<ShardRoute> routes, SearchQuery query, IReadOnlyDictionary<int, long>? after, TimeSpan left, CancellationToken ct)
    {
        if (routes.Count < 2 || query.Mode == SearchMode.Vector || string.IsNullOrWhiteSpace(query.Query))
        {
            return (null, null);
        }

        var phase = left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1);
        using var timer = new CancellationTokenSource(phase, time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct, timer.Token);
        var deadlineUtc = time.GetUtcNow().UtcDateTime + phase;
        var afterWait = AfterWait(query, phase);
        var calls = routes.Select(route => StatsOfShardAsync(info, route, query, after, afterWait, deadlineUtc, deadline.Token)).ToList();
        var cutting = StragglerCut.RunAsync(calls, static part => part.Stats is not null, deadline, phase, 1.0 / 3, time);
        var parts = await Task.WhenAll(calls).ConfigureAwait(false);
        await cutting.ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();

        var answered = new List<KeywordStats>(parts.Length);
        Dictionary<int, ShardFailure>? missing = null;
        for (int i = 0; i < parts.Length; i++)
        {
            if (parts[i].Stats is { } stats)
            {
                answered.Add(stats);
            }
            else
            {
                int shard = routes[i].Shard.Id;
                (missing ??= [])[shard] = new ShardFailure(shard, deadline.IsCancellationRequested ? "timeout" : parts[i].Reason);
            }
        }

        return (answered.Count > 0 ? KeywordStats.Sum(answered) : null, missing);
    }

    /// <summary>One shard's statistics: every replica asked at once, the first answer taken, so a hung replica (which the search hedges around) costs nothing here.</summary>
    private static async Task<(KeywordStats? Stats, string Reason)> StatsOfShardAsync(
        CollectionInfo info, ShardRoute route, SearchQuery query, IReadOnlyDictionary<int, long>? after, TimeSpan? afterWait, DateTime deadlineUtc, CancellationToken deadline)
    {
        var range = route.Shard.Range;
        var request = new ShardSearchRequest(
            info.Id, route.Shard.Id, SearchMode.Keyword, null, query.Query, null, 1, null, false, false, false,
            after?.Where(p => range.Contains(p.Key)).ToDictionary(p => p.Key, p => p.Value))
        {
            Deadline = deadlineUtc,
            AfterWait = afterWait,
        };
        using var race = CancellationTokenSource.CreateLinkedTokenSource(deadline);
        var asks = route.Replicas.Select(replica => replica.GetKeywordStatsAsync(request, race.Token)).ToList();
        string reason = "unavailable";
        try
        {
            while (asks.Count > 0)
            {
                var done = await Task.WhenAny(asks).ConfigureAwait(false);
                asks.Remove(done);
                if (done.IsCompletedSuccessfully)
                {
                    return (done.Result, reason);
                }

                reason = done.Exception?.InnerException switch
                {
                    ShardUnavailableException => reason,
                    TimeoutException or OperationCanceledException => "timeout",
                    _ => "error",
                };
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

        return (null, reason);
    }
}
