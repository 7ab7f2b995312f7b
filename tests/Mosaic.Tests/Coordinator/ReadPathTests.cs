using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Mosaic.Coordinator;
using Mosaic.Coordinator.Reads;
using Mosaic.Core.Changes;
using Mosaic.Core.Collections;
using Mosaic.Core.Errors;
using Mosaic.Core.Search;
using Mosaic.Core.Seams;
using Mosaic.Core.Sharding;
using Mosaic.Core.Slots;
using Mosaic.Testing;
using Mosaic.Tests.Observability;
using Xunit;

namespace Mosaic.Tests.Coordinator;

/// <summary>
/// ReadPath's hedging, failover and partial answers on a fake clock: time moves only when the test advances it, so the
/// hedge and the deadline fire exactly at their configured times however loaded the machine is.
/// </summary>
public sealed class ReadPathTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task Slow_replica_is_hedged_after_the_delay_and_the_second_answer_wins()
    {
        var slow = new ScriptedReplica("slow");
        var fast = new ScriptedReplica("fast", Answer("from-fast"));
        var reads = NewReadPath([[slow, fast]], hedgeDelay: TimeSpan.FromMilliseconds(20));

        var search = reads.SearchAsync("c", VectorQuery(), CancellationToken.None);
        await WaitForAsync(() => slow.Calls == 1, "the first replica is asked");

        _time.Advance(TimeSpan.FromMilliseconds(19));
        Assert.Equal(0, fast.Calls);
        Assert.False(search.IsCompleted);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        var answer = await search.WaitAsync(Settle);
        Assert.Equal(1, fast.Calls);
        Assert.Equal(["from-fast"], answer.Hits.Select(h => h.Id));
        Assert.False(answer.Partial);
        Assert.Equal(1.0, answer.Coverage);

        // The loser of the hedge is cancelled so it stops using its replica.
        Assert.True(slow.LastToken.IsCancellationRequested);
    }

    [Fact]
    public async Task Replica_answering_before_the_hedge_delay_is_not_hedged()
    {
        var first = new ScriptedReplica("first");
        var second = new ScriptedReplica("second", Answer("from-second"));
        var reads = NewReadPath([[first, second]], hedgeDelay: TimeSpan.FromMilliseconds(20));

        var search = reads.SearchAsync("c", VectorQuery(), CancellationToken.None);
        await WaitForAsync(() => first.Calls == 1, "the first replica is asked");
        _time.Advance(TimeSpan.FromMilliseconds(15));
        first.Complete(Answer("from-first"));

        var answer = await search.WaitAsync(Settle);
        Assert.Equal(["from-first"], answer.Hits.Select(h => h.Id));
        _time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(0, second.Calls);
    }

    [Fact]
    public async Task Failed_replica_is_replaced_at_once_without_waiting_for_the_hedge()
    {
        var broken = new ScriptedReplica("broken");
        var healthy = new ScriptedReplica("healthy", Answer("from-healthy"));
        var reads = NewReadPath([[broken, healthy]], hedgeDelay: TimeSpan.FromSeconds(1));

        var search = reads.SearchAsync("c", VectorQuery(), CancellationToken.None);
        await WaitForAsync(() => broken.Calls == 1, "the first replica is asked");
        broken.Fail(new ShardUnavailableException("replica is still building"));

        // No time passes: the second replica is asked because the first failed, not because the hedge fired.
        var answer = await search.WaitAsync(Settle);
        Assert.Equal(["from-healthy"], answer.Hits.Select(h => h.Id));
        Assert.Equal(1, healthy.Calls);
        Assert.False(answer.Partial);
    }

    [Fact]
    public async Task Shard_past_its_deadline_is_reported_as_a_timeout_and_the_rest_is_answered()
    {
        var answers = new ScriptedReplica("a", Answer("from-0"));
        var hung = new ScriptedReplica("b");
        var reads = NewReadPath([[answers], [hung]], hedgeDelay: TimeSpan.FromMilliseconds(5));

        var search = reads.SearchAsync("c", VectorQuery() with { TimeoutMs = 200 }, CancellationToken.None);
        await WaitForAsync(() => hung.Calls == 1, "the hung shard is asked");
        _time.Advance(TimeSpan.FromMilliseconds(199));
        Assert.False(search.IsCompleted);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        var answer = await search.WaitAsync(Settle);
        Assert.True(answer.Partial);
        Assert.Equal(2, answer.ShardsTotal);
        Assert.Equal(1, answer.ShardsOk);
        Assert.Equal([new ShardFailure(1, "timeout")], answer.Failures);
        Assert.Equal(["from-0"], answer.Hits.Select(h => h.Id));
        Assert.Equal((double)ShardMap.Even(2).Serving[0].Range.Count / SlotHasher.SlotCount, answer.Coverage);
        Assert.True(hung.LastToken.IsCancellationRequested);
    }

    [Fact]
    public async Task Shards_without_replicas_or_with_only_failing_ones_are_reported_with_their_reason()
    {
        var ok = new ScriptedReplica("ok", Answer("from-0"));
        var unavailable = new ScriptedReplica("unavailable");
        var erroring = new ScriptedReplica("erroring");
        var reads = NewReadPath([[ok], [unavailable], [erroring], []]);

        var search = reads.SearchAsync("c", VectorQuery(), CancellationToken.None);
        await WaitForAsync(() => unavailable.Calls == 1 && erroring.Calls == 1, "every shard is asked");
        unavailable.Fail(new ShardUnavailableException("not serving"));
        erroring.Fail(new InvalidOperationException("disk on fire"));

        var answer = await search.WaitAsync(Settle);
        Assert.Equal(4, answer.ShardsTotal);
        Assert.Equal(1, answer.ShardsOk);
        Assert.Equal(
            [new ShardFailure(1, "unavailable"), new ShardFailure(2, "error"), new ShardFailure(3, "unavailable")],
            answer.Failures.OrderBy(f => f.Shard));
        Assert.Equal(0.25, answer.Coverage);
        Assert.Equal(["from-0"], answer.Hits.Select(h => h.Id));
    }

    [Fact]
    public async Task Every_hedged_replica_failing_reports_the_shard_and_keeps_the_others()
    {
        var r1 = new ScriptedReplica("r1");
        var r2 = new ScriptedReplica("r2");
        var other = new ScriptedReplica("other", Answer("from-1"));
        var reads = NewReadPath([[r1, r2], [other]], hedgeDelay: TimeSpan.FromMilliseconds(10));

        var search = reads.SearchAsync("c", VectorQuery(), CancellationToken.None);
        await WaitForAsync(() => r1.Calls == 1, "the first replica is asked");
        _time.Advance(TimeSpan.FromMilliseconds(10));
        await WaitForAsync(() => r2.Calls == 1, "the hedge asks the second replica");
        r1.Fail(new InvalidOperationException("boom"));
        Assert.False(search.IsCompleted);
        r2.Fail(new InvalidOperationException("boom"));

        var answer = await search.WaitAsync(Settle);
        Assert.Equal([new ShardFailure(0, "error")], answer.Failures);
        Assert.Equal(["from-1"], answer.Hits.Select(h => h.Id));
    }

    [Fact]
    public async Task Payloads_are_fetched_after_the_merge_for_the_final_hits_only_one_call_per_shard()
    {
        var a = new ScriptedReplica("a", Hits(("a1", 0.9f), ("a2", 0.8f), ("a3", 0.1f)));
        var b = new ScriptedReplica("b", Hits(("b1", 0.85f), ("b2", 0.2f)));
        var c = new ScriptedReplica("c", Hits(("c1", 0.05f)));
        var reads = NewReadPath([[a], [b], [c]]);

        var answer = await reads.SearchAsync("c", VectorQuery() with { TopK = 3, IncludeText = true }, CancellationToken.None).WaitAsync(Settle);

        Assert.Equal(["a1", "b1", "a2"], answer.Hits.Select(h => h.Id));
        Assert.Equal(["text of a1 from a", "text of b1 from b", "text of a2 from a"], answer.Hits.Select(h => h.Text));
        Assert.Equal(["a1", "a2"], Assert.Single(a.Fetches).Ids);
        Assert.Equal(["b1"], Assert.Single(b.Fetches).Ids);
        Assert.Empty(c.Fetches);
        Assert.True(a.Fetches[0].IncludeText && !a.Fetches[0].IncludeFields && !a.Fetches[0].IncludeVector);
        Assert.False(answer.Partial);
    }

    [Theory]
    [InlineData(SearchMode.Vector, 6, true)]   // 3 shards x top_k 2 = 6 rows
    [InlineData(SearchMode.Vector, 5, false)]
    [InlineData(SearchMode.Hybrid, 12, true)]  // both lists: 12 rows
    [InlineData(SearchMode.Hybrid, 11, false)]
    [InlineData(SearchMode.Vector, 0, false)]
    public async Task Shards_return_payloads_with_their_hits_when_the_rows_are_within_the_query_and_fetch_limit(SearchMode mode, int maxRows, bool oneRound)
    {
        var a = new ScriptedReplica("a", Hits(("a1", 0.9f), ("a2", 0.8f)));
        var b = new ScriptedReplica("b", Hits(("b1", 0.85f)));
        var c = new ScriptedReplica("c", Hits(("c1", 0.05f)));
        var reads = NewReadPath([[a], [b], [c]], queryAndFetchMaxRows: maxRows);
        var query = VectorQuery() with { Mode = mode, Query = mode == SearchMode.Hybrid ? "words" : null, TopK = 2, IncludeText = true, IncludeVector = true };

        var answer = await reads.SearchAsync("c", query, CancellationToken.None).WaitAsync(Settle);

        foreach (var replica in new[] { a, b, c })
        {
            Assert.Equal((oneRound, false, oneRound), (replica.LastRequest!.IncludeText, replica.LastRequest.IncludeFields, replica.LastRequest.IncludeVector));
            Assert.Equal(oneRound ? 0 : replica == c ? 0 : 1, replica.Fetches.Count);
        }

        Assert.False(answer.Partial);
        if (mode == SearchMode.Vector)
        {
            Assert.Equal(["a1", "b1"], answer.Hits.Select(h => h.Id));
        }
    }

    [Fact]
    public async Task Without_payloads_nothing_is_fetched()
    {
        var a = new ScriptedReplica("a", Hits(("a1", 0.9f)));
        var answer = await NewReadPath([[a]]).SearchAsync("c", VectorQuery(), CancellationToken.None).WaitAsync(Settle);
        Assert.Equal(["a1"], answer.Hits.Select(h => h.Id));
        Assert.Empty(a.Fetches);
    }

    [Fact]
    public async Task Fetch_goes_to_the_replica_that_answered_then_to_the_others_and_drops_deleted_hits()
    {
        var answering = new ScriptedReplica("answering", Hits(("x1", 0.9f), ("x2", 0.8f))) { FetchError = new ShardUnavailableException("moved away") };
        var other = new ScriptedReplica("other");
        other.Gone.Add("x2");
        var reads = NewReadPath([[answering, other]], hedgeDelay: TimeSpan.FromSeconds(1));

        var answer = await reads.SearchAsync("c", VectorQuery() with { IncludeFields = true }, CancellationToken.None).WaitAsync(Settle);

        Assert.Equal(0, other.Calls);
        Assert.Single(answering.Fetches);
        Assert.Single(other.Fetches);
        Assert.Equal(["x1"], answer.Hits.Select(h => h.Id));
        Assert.False(answer.Partial);
    }

    [Fact]
    public async Task Fetch_from_a_hung_replica_is_hedged_to_the_next_by_id_after_the_delay()
    {
        var hung = new ScriptedReplica("hung", Hits(("x1", 0.9f))) { FetchHangs = true };
        var other = new ScriptedReplica("other");
        var reads = NewReadPath([[hung, other]], hedgeDelay: TimeSpan.FromMilliseconds(20));

        var search = reads.SearchAsync("c", VectorQuery() with { IncludeText = true }, CancellationToken.None);
        await WaitForAsync(() => hung.Fetches.Count == 1, "the replica that answered is asked for the payloads");
        Assert.Empty(other.Fetches);

        _time.Advance(TimeSpan.FromMilliseconds(20));
        var answer = await search.WaitAsync(Settle);
        Assert.Equal(["text of x1 from other"], answer.Hits.Select(h => h.Text));
        Assert.False(answer.Partial);
        // By id: the rows are the hung replica's.
        Assert.NotNull(hung.Fetches[0].Rows);
        Assert.Null(Assert.Single(other.Fetches).Rows);
        Assert.True(hung.LastFetchToken.IsCancellationRequested);
    }

    [Fact]
    public async Task Shard_whose_payloads_cannot_be_fetched_is_reported_and_its_hits_dropped()
    {
        var a = new ScriptedReplica("a", Hits(("a1", 0.9f)));
        var b = new ScriptedReplica("b", Hits(("b1", 0.8f))) { FetchError = new InvalidOperationException("disk on fire") };
        var answer = await NewReadPath([[a], [b]]).SearchAsync("c", VectorQuery() with { IncludeText = true }, CancellationToken.None).WaitAsync(Settle);

        Assert.Equal(["a1"], answer.Hits.Select(h => h.Id));
        Assert.Equal([new ShardFailure(1, "error")], answer.Failures);
        Assert.Equal(1, answer.ShardsOk);
        Assert.Equal(0.5, answer.Coverage);
    }

    [Fact]
    public async Task Shard_silent_in_the_keyword_statistics_phase_is_missing_after_a_third_of_the_deadline_and_the_rest_is_answered()
    {
        var answers = new ScriptedReplica("a", new ShardSearchResult([], [new ScoredDoc("k0", 1.5f)]));
        var hung = new ScriptedReplica("b") { StatsHang = true };
        var reads = NewReadPath([[answers], [hung]]);

        var search = reads.SearchAsync("c", new SearchQuery(SearchMode.Keyword, null, "some words", null, TopK: 5, TimeoutMs: 300), CancellationToken.None);
        await WaitForAsync(() => hung.StatsCalls == 1, "the hung shard is asked for its statistics");
        _time.Advance(TimeSpan.FromMilliseconds(99));
        await Task.Delay(50);
        Assert.False(search.IsCompleted);
        Assert.Equal(0, answers.Calls);

        // A third of the deadline, one shard having answered: the statistics phase ends, the shard that gave none is
        // missing, the other is searched.
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var answer = await search.WaitAsync(Settle);
        Assert.True(answer.Partial);
        Assert.Equal(2, answer.ShardsTotal);
        Assert.Equal(1, answer.ShardsOk);
        Assert.Equal([new ShardFailure(1, "timeout")], answer.Failures);
        Assert.Equal(["k0"], answer.Hits.Select(h => h.Id));
        Assert.Equal(1, answers.Calls);
        Assert.Equal(0, hung.Calls);
    }

    [Fact]
    public async Task Statistics_phase_where_every_shard_is_slow_waits_for_them_instead_of_failing_the_search()
    {
        var first = new ScriptedReplica("a", new ShardSearchResult([], [new ScoredDoc("k0", 1.5f)])) { StatsGate = new(TaskCreationOptions.RunContinuationsAsynchronously) };
        var second = new ScriptedReplica("b", new ShardSearchResult([], [new ScoredDoc("k1", 1.0f)])) { StatsGate = new(TaskCreationOptions.RunContinuationsAsynchronously) };
        var reads = NewReadPath([[first], [second]]);

        var search = reads.SearchAsync("c", new SearchQuery(SearchMode.Keyword, null, "some words", null, TopK: 5, TimeoutMs: 300), CancellationToken.None);
        await WaitForAsync(() => first.StatsCalls == 1 && second.StatsCalls == 1, "both shards are asked for their statistics");

        // Past a third of the deadline with no shard answered (a loaded machine): nothing is cut, nothing to go on without.
        _time.Advance(TimeSpan.FromMilliseconds(150));
        await Task.Delay(50);
        Assert.False(search.IsCompleted);
        first.StatsGate.SetResult();
        second.StatsGate.SetResult();

        var answer = await search.WaitAsync(Settle);
        Assert.False(answer.Partial);
        Assert.Equal(2, answer.ShardsOk);
        Assert.Equal(["k0", "k1"], answer.Hits.Select(h => h.Id));
    }

    [Fact]
    public async Task Query_round_before_a_fetch_cuts_a_straggler_only_once_another_shard_answered()
    {
        var late = new ScriptedReplica("a");
        var hung = new ScriptedReplica("b");
        var reads = NewReadPath([[late], [hung]], hedgeDelay: TimeSpan.FromSeconds(10));

        var search = reads.SearchAsync("c", VectorQuery() with { TimeoutMs = 400, IncludeText = true }, CancellationToken.None);
        await WaitForAsync(() => late.Calls == 1 && hung.Calls == 1, "both shards are asked");

        // Half the deadline with no answer: both keep their time.
        _time.Advance(TimeSpan.FromMilliseconds(250));
        await Task.Delay(50);
        Assert.False(search.IsCompleted);
        Assert.False(hung.LastToken.IsCancellationRequested);

        // The first answer at 250 ms: the other gets half of what is left from when the cut sees it (75 ms if at once), and
        // the fetch the rest. Time moves a millisecond at a time, so however late the cut's continuation runs on a loaded
        // machine, the answer comes before the deadline (150 ms on) only if the straggler was cut.
        late.Complete(Answer("from-0"));
        int advanced = 0;
        while (!search.IsCompleted && advanced < 150)
        {
            await Task.Delay(2);
            _time.Advance(TimeSpan.FromMilliseconds(1));
            advanced++;
        }

        var answer = await search.WaitAsync(Settle);
        Assert.InRange(advanced, 1, 149);
        Assert.True(answer.Partial);
        Assert.Equal([new ShardFailure(1, "timeout")], answer.Failures);
        Assert.Equal(["from-0"], answer.Hits.Select(h => h.Id));
        Assert.Equal("text of from-0 from a", answer.Hits[0].Text);
        Assert.True(hung.LastToken.IsCancellationRequested);
    }

    [Fact]
    public async Task Shards_that_fail_because_their_collection_was_dropped_meanwhile_answer_not_found()
    {
        var closed = new ScriptedReplica("closed");
        var reads = NewReadPath([[closed]], isDropped: () => ValueTask.FromResult(true));

        var search = reads.SearchAsync("c", VectorQuery(), CancellationToken.None);
        await WaitForAsync(() => closed.Calls == 1, "the shard is asked");
        closed.Fail(new ShardUnavailableException("no such shard"));

        var error = await Assert.ThrowsAsync<MosaicException>(() => search.WaitAsync(Settle));
        Assert.Equal(ErrorKind.NotFound, error.Kind);
    }

    [Fact]
    public async Task Shards_that_fail_while_the_store_cannot_say_whether_the_collection_exists_are_reported_as_they_are()
    {
        var failing = new ScriptedReplica("failing");
        var reads = NewReadPath([[failing]], isDropped: () => ValueTask.FromException<bool>(new TimeoutException("store down")));

        var search = reads.SearchAsync("c", VectorQuery(), CancellationToken.None);
        await WaitForAsync(() => failing.Calls == 1, "the shard is asked");
        failing.Fail(new ShardUnavailableException("worker gone"));

        var answer = await search.WaitAsync(Settle);
        Assert.Equal(0, answer.ShardsOk);
        Assert.Equal([new ShardFailure(0, "unavailable")], answer.Failures);
    }

    private static ShardSearchResult Hits(params (string Id, float Score)[] hits) => new(hits.Select(h => new ScoredDoc(h.Id, h.Score)).ToList(), []);

    private static SearchQuery VectorQuery() => new(SearchMode.Vector, [1, 0], null, null, TopK: 5);

    private static ShardSearchResult Answer(string id) => new([new ScoredDoc(id, 0.9f)], []);

    private static async Task WaitForAsync(Func<bool> condition, string description) =>
        await Wait.WaitUntilAsync(() => Task.FromResult(condition()), Settle, description, TimeSpan.FromMilliseconds(5));

    private ReadPath NewReadPath(IReadOnlyList<IReadOnlyList<IShardClient>> routes, TimeSpan? hedgeDelay = null, int queryAndFetchMaxRows = 0, Func<ValueTask<bool>>? isDropped = null)
    {
        var spec = new CollectionSpec("c", 2, VectorMetric.Cosine, routes.Count, 2, new Dictionary<string, FieldType>(), HnswSettings.Default);
        var info = new CollectionInfo(7, spec, ShardMap.Even(routes.Count));
        var options = Options.Create(new CoordinatorOptions { HedgeDelay = hedgeDelay, QueryAndFetchMaxRows = queryAndFetchMaxRows });
        return new ReadPath(new KnownSlotHeads(new NoChanges(), _time, Microsoft.Extensions.Logging.Abstractions.NullLogger<KnownSlotHeads>.Instance), new FixedRoutes(info, routes, isDropped ?? (() => ValueTask.FromResult(false))), new ReplicaSelector(), new ShardLatencyTracker(), options, _time, TestMeters.NewMetrics());
    }

    /// <summary>A replica whose answer the test decides: given up front, or completed/failed later.</summary>
    private sealed class ScriptedReplica(string node, ShardSearchResult? answer = null) : IShardClient
    {
        private readonly TaskCompletionSource<ShardSearchResult> _pending = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _calls;
        private int _statsCalls;

        public string Node => node;

        public int Calls => Volatile.Read(ref _calls);

        public CancellationToken LastToken { get; private set; }

        public void Complete(ShardSearchResult result) => _pending.SetResult(result);

        public void Fail(Exception error) => _pending.SetException(error);

        /// <summary>The last search request received.</summary>
        public ShardSearchRequest? LastRequest { get; private set; }

        public Task<ShardSearchResult> SearchAsync(ShardSearchRequest request, CancellationToken ct)
        {
            LastToken = ct;
            LastRequest = request;
            Interlocked.Increment(ref _calls);
            return answer is not null ? Task.FromResult(answer) : _pending.Task.WaitAsync(ct);
        }

        public Task<ShardStats> GetStatsAsync(long collectionId, int shard, DateTime deadline, CancellationToken ct) => throw new NotSupportedException();

        /// <summary>Statistics calls never answer (until cancelled), as from a hung worker.</summary>
        public bool StatsHang { get; init; }

        public int StatsCalls => Volatile.Read(ref _statsCalls);

        /// <summary>When set, statistics calls answer once the test completes it (a slow shard).</summary>
        public TaskCompletionSource? StatsGate { get; init; }

        public Task<KeywordStats> GetKeywordStatsAsync(ShardSearchRequest request, CancellationToken ct)
        {
            Interlocked.Increment(ref _statsCalls);
            return StatsHang ? new TaskCompletionSource<KeywordStats>().Task.WaitAsync(ct)
                : StatsGate is { } gate ? AfterAsync(gate.Task.WaitAsync(ct))
                : Task.FromResult(KeywordStats.Empty);

            static async Task<KeywordStats> AfterAsync(Task gate)
            {
                await gate;
                return KeywordStats.Empty;
            }
        }

        /// <summary>Fetch calls received, in order.</summary>
        public List<ShardFetchRequest> Fetches { get; } = [];

        /// <summary>Ids this replica no longer holds (deleted since the search).</summary>
        public HashSet<string> Gone { get; } = [];

        public Exception? FetchError { get; set; }

        /// <summary>Fetches never answer (a worker stopped between the rounds); they end only when cancelled.</summary>
        public bool FetchHangs { get; init; }

        public CancellationToken LastFetchToken { get; private set; }

        public Task<IReadOnlyList<DocPayload>> FetchAsync(ShardFetchRequest request, CancellationToken ct)
        {
            lock (Fetches)
            {
                Fetches.Add(request);
                LastFetchToken = ct;
            }

            if (FetchHangs)
            {
                return Task.Delay(Timeout.Infinite, ct).ContinueWith<IReadOnlyList<DocPayload>>(static _ => throw new OperationCanceledException(), TaskScheduler.Default);
            }

            return FetchError is { } error
                ? Task.FromException<IReadOnlyList<DocPayload>>(error)
                : Task.FromResult<IReadOnlyList<DocPayload>>(request.Ids.Where(id => !Gone.Contains(id)).Select(id => new DocPayload(id, $"text of {id} from {node}", null, null)).ToList());
        }
    }

    private sealed class NoChanges : IChangeLog
    {
        public Task<IReadOnlyDictionary<int, long>> GetSlotHeadsAsync(long collectionId, SlotRange range, CancellationToken ct) =>
            Task.FromResult<IReadOnlyDictionary<int, long>>(new Dictionary<int, long>());

        public Task<IReadOnlyList<ChangeRecord>> ReadAsync(long collectionId, int slot, long afterSeq, int limit, CancellationToken ct) =>
            Task.FromResult<IReadOnlyList<ChangeRecord>>([]);

        public Task<IReadOnlyList<ChangeRecord>> ReadCurrentAsync(long collectionId, SlotRange range, string? afterId, int limit, CancellationToken ct) =>
            Task.FromResult<IReadOnlyList<ChangeRecord>>([]);

        public Task<IReadOnlyDictionary<int, long>> GetSlotFloorsAsync(long collectionId, SlotRange range, CancellationToken ct) =>
            Task.FromResult<IReadOnlyDictionary<int, long>>(new Dictionary<int, long>());

        public Task<long> CompactAsync(long collectionId, IReadOnlyDictionary<int, long> floors, CancellationToken ct) => Task.FromResult(0L);
    }

    /// <summary>One collection whose serving shards have the given replicas.</summary>
    private sealed class FixedRoutes(CollectionInfo info, IReadOnlyList<IReadOnlyList<IShardClient>> replicas, Func<ValueTask<bool>> isDropped) : IShardRouter
    {
        public ValueTask<CollectionInfo?> FindCollectionAsync(string name, CancellationToken ct) => ValueTask.FromResult(name == info.Name ? info : null);

        public ValueTask<IReadOnlyList<ShardRoute>> RouteAsync(CollectionInfo collection, TimeSpan wait, CancellationToken ct) =>
            ValueTask.FromResult<IReadOnlyList<ShardRoute>>(info.ShardMap.Serving.Select((shard, i) => new ShardRoute(shard, replicas[i])).ToList());

        public Task RefreshAsync(CancellationToken ct) => Task.CompletedTask;

        public ValueTask<bool> IsDroppedAsync(CollectionInfo collection, CancellationToken ct) => isDropped();
    }
}
