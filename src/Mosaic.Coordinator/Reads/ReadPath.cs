using Microsoft.Extensions.Options;
using Mosaic.Core.Collections;
using Mosaic.Core.Consistency;
using Mosaic.Core.Errors;
using Mosaic.Core.Observability;
using Mosaic.Core.Search;
using Mosaic.Core.Seams;
using Mosaic.Core.Sharding;
using Mosaic.Core.Slots;

namespace Mosaic.Coordinator.Reads;

/// <summary>The read side of the coordinator: validate, scatter to one replica of every shard, gather, merge, fuse.</summary>
/// <remarks>
/// Every shard call starts before any is awaited and has its own deadline. A shard whose replicas all fail is reported
/// in the answer (partial, coverage, failures) instead of failing the whole search.
/// </remarks>
public sealed partial class ReadPath(KnownSlotHeads heads, IShardRouter router, ReplicaSelector selector, ShardLatencyTracker latencies, IOptions<CoordinatorOptions> options, TimeProvider time, MosaicMetrics metrics, IEmbedder? embedder = null)
{
    /// <summary>How deep a search reaches: top_k, and offset + top_k for a later page (every shard answers that many).</summary>
    public const int MaxHitsDeep = 1000;

    private readonly CoordinatorOptions _options = options.Value;

    public async Task<SearchAnswer> SearchAsync(string collection, SearchQuery query, CancellationToken ct)
    {
        // The request's clock starts when it arrived (the endpoint stamps it), not here: reading its body and the result
        // cache's work count against its timeout_ms too.
        long started = query.Arrived ?? time.GetTimestamp();
        // One deadline for the whole request, from the timeout it asked for (checked below, once the collection is known):
        // the catalog, the embedding, the routing wait, every round to the shards and the payload fetch end by it. One timer
        // per request instead of one per shard call and fetch (each a timer, two token sources and their registrations).
        var timeout = RequestedTimeout(query);
        using var timer = new CancellationTokenSource(Left(started, timeout), time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct, timer.Token);
        var info = await BeforeDeadline(router.FindCollectionAsync(collection, deadline.Token), "reading the catalog", deadline, ct).ConfigureAwait(false)
            ?? throw MosaicException.NotFound($"collection '{collection}' does not exist");
        query = await BeforeDeadline(new ValueTask<SearchQuery>(QueryEmbedding.ResolveAsync(embedder, info.Spec, query, deadline.Token)), "embedding the query", deadline, ct).ConfigureAwait(false);
        var (filter, after) = await ValidateAsync(info, query, started, ct).ConfigureAwait(false);

        // A filter on the routing key narrows the search to the shards holding its values' slots. Waiting for a shard with
        // no serving replica takes at most half of what is left: the other shards keep their time.
        var routed = await BeforeDeadline(router.RouteAsync(info, Left(started, timeout) / 2, deadline.Token), "routing", deadline, ct).ConfigureAwait(false);
        var selection = ShardSelection.For(info.Spec, filter, routed);
        var routes = selection.Routes;
        // Keyword statistics come from the visited shards: with a routing filter, those hold every document that can match.
        // Once one shard gave its part, the others get a third of what is left (a stats call is a term lookup per shard, the
        // search is the work), so a shard that hangs here leaves the search phase its time; the shards that gave none are missing.
        var (keywordStats, noStats) = await KeywordStatsAsync(info, routes, query, after, Left(started, timeout), ct).ConfigureAwait(false);
        bool behind = keywordStats?.Behind == true;
        var remaining = Left(started, timeout);

        // Query-and-fetch: when the rows the shards would return with their hits are few, each shard sends its hits'
        // payloads with them and the fetch round is skipped (Elasticsearch does this for one shard); else query-then-fetch.
        bool payloads = query.IncludeText || query.IncludeFields || query.IncludeVector;
        // A page past the first (offset) needs the hits before it; a hybrid search may take each list deeper before fusing.
        int wanted = query.Offset + query.TopK;
        int depth = query.Mode == SearchMode.Hybrid && query.Fusion is { } fusion ? fusion.ListDepth(wanted) : wanted;
        bool oneRound = payloads && QueryAndFetch.Applies(routes.Count, depth, query.Mode, _options.QueryAndFetchMaxRows);
        // With a fetch round to follow, the shards that have not answered are cut once others have and half of what is left
        // has passed: a shard that hangs would use the whole deadline up, and the fetch from the shards that did answer have
        // none (every shard then failed, a 503 for a search the healthy shards had answered).
        bool fetchRound = payloads && !oneRound;
        using var queryDeadline = fetchRound ? CancellationTokenSource.CreateLinkedTokenSource(deadline.Token) : null;
        var now = time.GetUtcNow().UtcDateTime;
        var deadlineUtc = now + remaining;
        var calls = new Task<ShardOutcome>[routes.Count];
        for (int i = 0; i < routes.Count; i++)
        {
            var shard = routes[i].Shard;
            if (noStats is not null && noStats.TryGetValue(shard.Id, out var missing))
            {
                metrics.RecordShardRequest(info.Name, shard.Id, missing.Reason);
                calls[i] = Task.FromResult(new ShardOutcome(shard.Id, null, missing));
                continue;
            }

            var request = new ShardSearchRequest(
                info.Id, shard.Id, query.Mode, query.Vector, query.Query, filter, depth, query.EfSearch,
                IncludeText: oneRound && query.IncludeText, IncludeFields: oneRound && query.IncludeFields, IncludeVector: oneRound && query.IncludeVector,
                after is null ? null : SeqsIn(after, shard.Range))
            {
                KeywordStats = keywordStats,
                Deadline = now + remaining,
                AfterWait = AfterWait(query, remaining),
            };
            calls[i] = CallShardAsync(info, shard.Id, routes[i].Replicas, request, queryDeadline ?? deadline, ct);
        }

        var cutting = queryDeadline is null ? Task.CompletedTask : StragglerCut.RunAsync(calls, static o => o.Result is not null, queryDeadline, remaining, 0.5, time);
        var outcomes = await Gather.AllAsync(calls).ConfigureAwait(false);
        await cutting.ConfigureAwait(false);
        var answered = new List<ShardOutcome>(outcomes.Length);
        var failures = new List<ShardFailure>();
        foreach (var outcome in outcomes)
        {
            if (outcome.Result is not null)
            {
                answered.Add(outcome);
                behind |= outcome.Result.Behind;
            }
            else if (outcome.Failure is not null)
            {
                failures.Add(outcome.Failure);
            }
        }

        // Shards missing may mean the collection was dropped meanwhile (404): asked of the store beside the fetch round,
        // within what is left of the deadline.
        var dropped = failures.Count > 0 ? ThrowIfDroppedAsync(info, Min(timeout / 4, Left(started, timeout)), ct) : Task.CompletedTask;

        // A vector search has no keyword lists to merge, and a keyword search no vector lists.
        var vector = query.Mode == SearchMode.Keyword ? [] : ResultMerger.MergeTopK(Lists(answered, keyword: false), depth);
        var keyword = query.Mode == SearchMode.Vector ? [] : ResultMerger.MergeTopK(Lists(answered, keyword: true), depth);
        var hits = query.Mode switch
        {
            SearchMode.Vector => vector,
            SearchMode.Keyword => keyword,
            _ => ResultMerger.FuseReciprocalRank(vector, keyword, wanted, query.Fusion),
        };
        if (query.MinScore is float minScore)
        {
            // Before the page is cut, so that pages of a thresholded search still line up.
            hits.RemoveAll(h => h.Score < minScore);
        }

        hits.RemoveRange(0, Math.Min(query.Offset, hits.Count));
        if (fetchRound && hits.Count > 0)
        {
            (List<ScoredDoc> Hits, List<ShardFailure> Failures) fetched;
            try
            {
                fetched = await FetchPayloadsAsync(info, hits, answered, query, deadlineUtc, deadline.Token, ct).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The fetch's failure is the answer; the drop check's own (a 404) must not go unobserved behind it.
                _ = dropped.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
                throw;
            }

            hits = fetched.Hits;
            if (fetched.Failures.Count > 0)
            {
                failures.AddRange(fetched.Failures);
                RemoveFailed(answered, fetched.Failures);
            }
        }

        await dropped.ConfigureAwait(false);
        metrics.RecordSearch(info.Name, answered.Count == routes.Count ? "complete" : answered.Count == 0 ? "failed" : "partial", time.GetElapsedTime(started));
        return new SearchAnswer(
            hits,
            time.GetElapsedTime(started).TotalMilliseconds,
            routes.Count,
            answered.Count,
            failures,
            selection.Coverage(AnsweredRanges(routes, answered)))
        {
            Behind = behind,
        };
    }

    /// <summary>How long shards may wait for a cache-pinned version (half of what is left); null for a reader's token.</summary>
    private static TimeSpan? AfterWait(SearchQuery query, TimeSpan remaining) => query.PinnedByCache && query.After is not null ? remaining / 2 : null;

    /// <summary>Takes the shards whose fetch failed out of the answered ones.</summary>
    /// <remarks>A method, not a lambda: capturing the fetch's result allocated a closure on every search that fetched.</remarks>
    private static void RemoveFailed(List<ShardOutcome> answered, List<ShardFailure> failed)
    {
        foreach (var failure in failed)
        {
            answered.RemoveAll(o => o.Shard == failure.Shard);
        }
    }

    /// <summary>The read-your-writes seqs of the slots in <paramref name="range"/>.</summary>
    /// <remarks>A method, not a lambda in the shard loop: the loop's closure was allocated per shard even without a token.</remarks>
    private static Dictionary<int, long> SeqsIn(IReadOnlyDictionary<int, long> after, SlotRange range)
    {
        var seqs = new Dictionary<int, long>();
        foreach (var (slot, seq) in after)
        {
            if (range.Contains(slot))
            {
                seqs[slot] = seq;
            }
        }

        return seqs;
    }

    /// <summary>One list of each answered shard: its vector hits, or its keyword hits.</summary>
    private static IReadOnlyList<ScoredDoc>[] Lists(List<ShardOutcome> answered, bool keyword)
    {
        var lists = new IReadOnlyList<ScoredDoc>[answered.Count];
        for (int i = 0; i < lists.Length; i++)
        {
            lists[i] = keyword ? answered[i].Result!.KeywordHits : answered[i].Result!.VectorHits;
        }

        return lists;
    }

    /// <summary>The slot ranges of the shards that answered (a shard is in <paramref name="routes"/> once).</summary>
    private static List<SlotRange> AnsweredRanges(IReadOnlyList<ShardRoute> routes, List<ShardOutcome> answered)
    {
        var ranges = new List<SlotRange>(answered.Count);
        foreach (var outcome in answered)
        {
            foreach (var route in routes)
            {
                if (route.Shard.Id == outcome.Shard)
                {
                    ranges.Add(route.Shard.Range);
                    break;
                }
            }
        }

        return ranges;
    }

    /// <summary>Statistics of every serving shard from one of its replicas; null stats for a shard none of whose replicas answered.</summary>
    public async Task<IReadOnlyList<(Core.Sharding.ShardInfo Shard, ShardStats? Stats)>> ShardStatsAsync(CollectionInfo info, CancellationToken ct)
    {
        var routes = await router.RouteAsync(info, _options.RouteWait, ct).ConfigureAwait(false);
        // Every shard at once, each replica with its own deadline: a hung worker must not hang the collection view.
        var calls = routes.Select(async route =>
        {
            foreach (var replica in route.Replicas)
            {
                using var timer = new CancellationTokenSource(_options.DefaultSearchTimeout, time);
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct, timer.Token);
                var deadlineUtc = time.GetUtcNow().UtcDateTime + _options.DefaultSearchTimeout;
                try
                {
                    return (route.Shard, (ShardStats?)await replica.GetStatsAsync(info.Id, route.Shard.Id, deadlineUtc, deadline.Token).ConfigureAwait(false));
                }
                catch (Exception) when (!ct.IsCancellationRequested)
                {
                    // Try the next replica; a shard with none answering is reported without stats.
                }
            }

            return (route.Shard, (ShardStats?)null);
        }).ToList();
        return await Task.WhenAll(calls).ConfigureAwait(false);
    }

    private async ValueTask<(Filter? Filter, IReadOnlyDictionary<int, long>? After)> ValidateAsync(CollectionInfo info, SearchQuery query, long started, CancellationToken ct)
    {
        var spec = info.Spec;
        if (query.TopK is < 1 or > MaxHitsDeep)
        {
            throw MosaicException.Invalid($"top_k: must be within 1..{MaxHitsDeep}, got {query.TopK}");
        }

        if (query.Offset < 0 || query.Offset + query.TopK > MaxHitsDeep)
        {
            throw MosaicException.Invalid($"offset: must be 0 or more, with offset + top_k at most {MaxHitsDeep} (a page deeper than that is not served: narrow the search with a filter), got offset {query.Offset} and top_k {query.TopK}");
        }

        if (query.EfSearch is < 1 or > 10_000)
        {
            throw MosaicException.Invalid($"ef_search: must be within 1..10000, got {query.EfSearch}");
        }

        // Before the checks of what each mode needs: on a collection with a model, query text past the limit is left
        // unembedded, and would otherwise be reported as a missing vector.
        if (query.Query is { Length: > 4096 })
        {
            throw MosaicException.Invalid($"query: at most 4096 characters, got {query.Query.Length}");
        }

        bool needsVector = query.Mode is SearchMode.Vector or SearchMode.Hybrid;
        bool needsQuery = query.Mode is SearchMode.Keyword or SearchMode.Hybrid;
        string mode = query.Mode.ToString().ToLowerInvariant();
        if (needsVector && !spec.HasVectors)
        {
            throw MosaicException.Invalid($"mode: '{mode}' needs vectors, but collection '{spec.Name}' is keyword-only");
        }

        if (needsVector && query.Vector is null)
        {
            throw MosaicException.Invalid(spec.EmbedModel is { } model
                ? $"vector: mode '{mode}' needs a query vector, or query text for model '{model}' to embed"
                : $"vector: mode '{mode}' needs a query vector");
        }

        if (needsQuery && string.IsNullOrWhiteSpace(query.Query))
        {
            throw MosaicException.Invalid($"query: mode '{mode}' needs query text");
        }

        if (query.Fusion is { } fusion && query.Mode != SearchMode.Hybrid)
        {
            throw MosaicException.Invalid($"fusion: applies to hybrid searches only, and this one is '{mode}'");
        }

        if (query.Fusion?.Window is int window && window < query.Offset + query.TopK)
        {
            throw MosaicException.Invalid($"fusion.window: must be at least offset + top_k ({query.Offset + query.TopK}), got {window}");
        }

        if (query.Vector is { } vector)
        {
            if (vector.Length != spec.Dimension)
            {
                throw MosaicException.Invalid($"vector: has {vector.Length} dimensions, collection '{spec.Name}' expects {spec.Dimension}");
            }

            VectorLimits.Check(vector, spec.Metric);
        }

        var filter = query.Filter is { } f ? FilterParser.Parse(f, spec) : null;

        if (query.TimeoutMs is int ms && (ms < 1 || TimeSpan.FromMilliseconds(ms) > _options.MaxSearchTimeout))
        {
            throw MosaicException.Invalid($"timeout_ms: must be within 1..{_options.MaxSearchTimeout.TotalMilliseconds:F0}");
        }

        var timeout = RequestedTimeout(query);

        IReadOnlyDictionary<int, long>? after = null;
        if (query.After is not null)
        {
            if (!ConsistencyToken.TryParse(query.After, out var token))
            {
                throw new MosaicException(ErrorKind.InvalidArgument, "invalid_token", "consistency.after: not a consistency token returned by a write");
            }

            if (token!.CollectionId != info.Id)
            {
                throw new MosaicException(ErrorKind.InvalidArgument, "invalid_token", $"consistency.after: the token belongs to another collection, or to an earlier '{spec.Name}' that was dropped");
            }

            // Known heads settle almost every token without the store; one ahead of them costs one shared store read,
            // waited for at most a quarter of the deadline (the rest is the shards'). With the store unreachable or hanging
            // the token goes unchecked to the shards, whose bounded wait is the real guard.
            if (await heads.CheckAsync(info.Id, token.SlotSeqs, Min(timeout / 4, Left(started, timeout)), ct).ConfigureAwait(false) == TokenCheck.Ahead)
            {
                // A dropped collection's heads are gone from the store too, so its tokens read as ahead: 404 for those.
                await ThrowIfDroppedAsync(info, Min(timeout / 4, Left(started, timeout)), ct).ConfigureAwait(false);
                throw new MosaicException(ErrorKind.InvalidArgument, "invalid_token", "consistency.after: the token is ahead of the store (forged, or from another store)");
            }

            after = token.SlotSeqs;
        }

        return (filter, after);
    }

    /// <summary>
    /// One shard's answer: ask the least-loaded replica; if it is slower than the hedge delay ask the next one too
    /// (first answer wins); if one fails, try the next at once. All within the request's <paramref name="deadline"/>.
    /// </summary>
    private Task<ShardOutcome> CallShardAsync(CollectionInfo info, int shard, IReadOnlyList<IShardClient> replicas, ShardSearchRequest request, CancellationTokenSource deadline, CancellationToken ct) =>
        // The common case (one replica) without a wrapping async level: one state machine and task per shard call fewer.
        replicas.Count == 1
            ? CallOnlyReplicaAsync(info, shard, replicas[0], replicas, request, deadline, ct)
            : CallReplicasAndRecordAsync(info, shard, replicas, request, deadline, ct);

    private async Task<ShardOutcome> CallReplicasAndRecordAsync(CollectionInfo info, int shard, IReadOnlyList<IShardClient> replicas, ShardSearchRequest request, CancellationTokenSource deadline, CancellationToken ct)
    {
        var outcome = await CallReplicasAsync(info, shard, replicas, request, deadline, ct).ConfigureAwait(false);
        metrics.RecordShardRequest(info.Name, shard, outcome.Failure?.Reason ?? "hit");
        return outcome;
    }

    /// <summary>A shard with one replica: nothing to hedge or retry, so no per-call token source, queue or timer.</summary>
    private async Task<ShardOutcome> CallOnlyReplicaAsync(CollectionInfo info, int shard, IShardClient replica, IReadOnlyList<IShardClient> replicas, ShardSearchRequest request, CancellationTokenSource deadline, CancellationToken ct)
    {
        long started = time.GetTimestamp();
        ShardOutcome outcome;
        using (selector.Begin(replica))
        {
            try
            {
                var result = await replica.SearchAsync(request, deadline.Token).ConfigureAwait(false);
                // Recorded even though nothing is hedged now: a replica added later starts with the shard's p95.
                latencies.Record(request.CollectionId, shard, time.GetElapsedTime(started));
                outcome = new ShardOutcome(shard, result, null, replica, replicas);
            }
            catch (Exception ex)
            {
                ct.ThrowIfCancellationRequested();
                outcome = new ShardOutcome(shard, null, new ShardFailure(shard, deadline.IsCancellationRequested ? "timeout" : ReasonOf(ex)));
            }
        }

        metrics.RecordShardRequest(info.Name, shard, outcome.Failure?.Reason ?? "hit");
        return outcome;
    }

    private static string ReasonOf(Exception? failure) => failure switch
    {
        ShardUnavailableException => "unavailable",
        TimeoutException or OperationCanceledException => "timeout",
        _ => "error",
    };

    private async Task<ShardOutcome> CallReplicasAsync(CollectionInfo info, int shard, IReadOnlyList<IShardClient> replicas, ShardSearchRequest request, CancellationTokenSource requestDeadline, CancellationToken ct)
    {
        long started = time.GetTimestamp();
        var (result, replica, reason) = await HedgedAsync(
            info, shard, selector.Order(replicas), request, static (r, replica, token) => replica.SearchAsync(r, token), requestDeadline.Token).ConfigureAwait(false);
        if (result is null)
        {
            ct.ThrowIfCancellationRequested();
            return new ShardOutcome(shard, null, new ShardFailure(shard, reason));
        }

        latencies.Record(request.CollectionId, shard, time.GetElapsedTime(started));
        return new ShardOutcome(shard, result, null, replica, replicas);
    }

    /// <summary>
    /// Query-then-fetch, second phase: the payloads of the final hits, one batched call per shard involved, to the
    /// replica that answered the search first (it holds those rows), then to the others. A hit whose shard cannot be
    /// fetched from is dropped and its shard reported; a hit deleted since the search is dropped.
    /// </summary>
    private async ValueTask<(List<ScoredDoc> Hits, List<ShardFailure> Failures)> FetchPayloadsAsync(
        CollectionInfo info, List<ScoredDoc> hits, IReadOnlyList<ShardOutcome> answered, SearchQuery query, DateTime deadlineUtc, CancellationToken deadline, CancellationToken ct)
    {
        // Each hit's shard: the first that listed it (an id is in one shard's lists, barring a hedge during a routing change).
        var wanted = new HashSet<string>(hits.Count, StringComparer.Ordinal);
        foreach (var hit in hits)
        {
            wanted.Add(hit.Id);
        }

        var idsByShard = new List<(ShardOutcome Outcome, Claimed Ids)>(answered.Count);
        foreach (var outcome in answered)
        {
            Claimed? ids = null;
            Claim(outcome.Result!.VectorHits, wanted, ref ids);
            Claim(outcome.Result.KeywordHits, wanted, ref ids);
            if (ids is not null)
            {
                idsByShard.Add((outcome, ids));
            }
        }

        var fetches = new Task<(IReadOnlyList<DocPayload>? Docs, ShardFailure? Failure)>[idsByShard.Count];
        for (int i = 0; i < fetches.Length; i++)
        {
            fetches[i] = FetchFromShardAsync(info, idsByShard[i].Outcome, idsByShard[i].Ids, query, _options.MaxAnswerBytes, deadlineUtc, deadline);
        }

        var results = await Gather.AllAsync(fetches).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();

        var payloads = new Dictionary<string, DocPayload>(hits.Count, StringComparer.Ordinal);
        var failures = new List<ShardFailure>();
        foreach (var (docs, failure) in results)
        {
            if (failure is not null)
            {
                failures.Add(failure);
                continue;
            }

            foreach (var doc in docs!)
            {
                payloads[doc.Id] = doc;
            }
        }

        var complete = new List<ScoredDoc>(hits.Count);
        foreach (var hit in hits)
        {
            if (payloads.TryGetValue(hit.Id, out var p))
            {
                complete.Add(hit with { Text = p.Text, FieldsJson = p.FieldsJson, Vector = p.Vector });
            }
        }

        return (complete, failures);
    }

    /// <summary>Moves the ids of <paramref name="list"/> that are still wanted, with their rows, into <paramref name="claimed"/>.</summary>
    private static void Claim(IReadOnlyList<ScoredDoc> list, HashSet<string> wanted, ref Claimed? claimed)
    {
        foreach (var hit in list)
        {
            if (wanted.Remove(hit.Id))
            {
                claimed ??= new Claimed([], []);
                claimed.Ids.Add(hit.Id);
                claimed.Rows.Add(hit.Row);
            }
        }
    }

    /// <remarks>
    /// Hedged like the query round (<see cref="HedgedAsync"/>): a replica that hangs between the rounds costs a hedge delay,
    /// not the deadline. The shard stops reading past <paramref name="maxBytes"/> (every payload it returns goes into the
    /// answer, so the answer would be refused anyway): a top_k of 1,000 large documents is never read whole to be thrown away.
    /// </remarks>
    private async Task<(IReadOnlyList<DocPayload>? Docs, ShardFailure? Failure)> FetchFromShardAsync(
        CollectionInfo info, ShardOutcome outcome, Claimed ids, SearchQuery query, long maxBytes, DateTime deadlineUtc, CancellationToken deadline)
    {
        var request = new ShardFetchRequest(info.Id, outcome.Shard, ids.Ids, query.IncludeText, query.IncludeFields, query.IncludeVector)
        {
            Deadline = deadlineUtc,
            Rows = ids.Rows,
            MaxBytes = maxBytes,
        };
        // The replica that answered the search first (it holds those rows), then the others.
        var replicas = outcome.Replicas!;
        var order = outcome.Replica is { } answered ? replicas.Where(r => r != answered).Prepend(answered) : replicas;
        try
        {
            var (docs, _, reason) = await HedgedAsync(
                info,
                outcome.Shard,
                order,
                (Request: request, AnsweredBy: outcome.Replica),
                // The rows are the answering replica's: another replica's file numbers its rows its own way.
                static (s, replica, token) => replica.FetchAsync(replica == s.AnsweredBy ? s.Request : s.Request with { Rows = null }, token),
                deadline,
                static ex => ex is PayloadBudgetExceededException).ConfigureAwait(false);
            return docs is null ? (null, new ShardFailure(outcome.Shard, reason)) : (docs, null);
        }
        catch (PayloadBudgetExceededException ex)
        {
            throw AnswerSize.PastLimit(ex.ReadBytes, ex.MaxBytes);
        }
    }

    /// <summary>The hits one shard is asked to fetch: ids and, index for index, the rows its search reported.</summary>
    private sealed record Claimed(List<string> Ids, List<long> Rows);

    private sealed record ShardOutcome(int Shard, ShardSearchResult? Result, ShardFailure? Failure, IShardClient? Replica = null, IReadOnlyList<IShardClient>? Replicas = null);
}
