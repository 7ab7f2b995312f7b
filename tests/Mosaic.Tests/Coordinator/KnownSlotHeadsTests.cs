using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Mosaic.Coordinator.Reads;
using Mosaic.Core.Changes;
using Mosaic.Core.Seams;
using Mosaic.Core.Slots;
using Xunit;

namespace Mosaic.Tests.Coordinator;

/// <summary>Tokens are checked against heads the coordinator already knows; the store is read only for a token ahead of them.</summary>
public sealed class KnownSlotHeadsTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private readonly FakeTimeProvider _time = new();
    private readonly HeadsLog _log = new();

    private KnownSlotHeads NewHeads() => new(_log, _time, NullLogger<KnownSlotHeads>.Instance);

    [Fact]
    public async Task A_token_at_or_below_learned_heads_needs_no_store_read()
    {
        var heads = NewHeads();
        heads.Learn(7, new Dictionary<int, long> { [3] = 10, [900] = 2 });

        Assert.Equal(TokenCheck.Known, await heads.CheckAsync(7, new Dictionary<int, long> { [3] = 10 }, Wait, default));
        Assert.Equal(TokenCheck.Known, await heads.CheckAsync(7, new Dictionary<int, long> { [3] = 4, [900] = 2 }, Wait, default));
        Assert.Equal(0, _log.Reads);
    }

    [Fact]
    public async Task A_token_ahead_of_the_known_heads_reads_the_store_once_and_is_known_or_ahead_by_what_it_says()
    {
        var heads = NewHeads();
        _log.Heads = new Dictionary<int, long> { [3] = 12 };

        Assert.Equal(TokenCheck.Known, await heads.CheckAsync(7, new Dictionary<int, long> { [3] = 12 }, Wait, default));
        Assert.Equal(1, _log.Reads);
        Assert.True(heads.Covers(7, new Dictionary<int, long> { [3] = 12 }));

        Assert.Equal(TokenCheck.Ahead, await heads.CheckAsync(7, new Dictionary<int, long> { [3] = 13 }, Wait, default));
        Assert.Equal(2, _log.Reads);
        Assert.False(heads.Covers(8, new Dictionary<int, long> { [3] = 1 })); // another collection learned nothing
    }

    [Fact]
    public async Task Concurrent_checks_ahead_share_one_store_read()
    {
        var heads = NewHeads();
        _log.Heads = new Dictionary<int, long> { [1] = 5 };
        _log.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var checks = Enumerable.Range(0, 8).Select(_ => heads.CheckAsync(7, new Dictionary<int, long> { [1] = 5 }, Wait, default).AsTask()).ToList();
        await Testing.Wait.WaitUntilAsync(() => _log.Reads >= 1, TimeSpan.FromSeconds(10), "the first read started");
        _log.Gate.SetResult();

        Assert.All(await Task.WhenAll(checks), c => Assert.Equal(TokenCheck.Known, c));
        Assert.Equal(1, _log.Reads);
    }

    [Fact]
    public async Task With_the_store_down_a_token_ahead_is_left_unchecked_and_the_store_is_not_retried_at_once()
    {
        var heads = NewHeads();
        heads.Learn(7, new Dictionary<int, long> { [1] = 5 });
        _log.Failure = new InvalidOperationException("store down");

        Assert.Equal(TokenCheck.Unchecked, await heads.CheckAsync(7, new Dictionary<int, long> { [1] = 6 }, Wait, default));
        Assert.Equal(TokenCheck.Unchecked, await heads.CheckAsync(7, new Dictionary<int, long> { [1] = 6 }, Wait, default));
        Assert.Equal(1, _log.Reads);
        Assert.Equal(TokenCheck.Known, await heads.CheckAsync(7, new Dictionary<int, long> { [1] = 5 }, Wait, default));

        _time.Advance(KnownSlotHeads.RetryAfterFailure);
        _log.Failure = null;
        _log.Heads = new Dictionary<int, long> { [1] = 6 };
        Assert.Equal(TokenCheck.Known, await heads.CheckAsync(7, new Dictionary<int, long> { [1] = 6 }, Wait, default));
        Assert.Equal(2, _log.Reads);
    }

    [Fact]
    public async Task With_the_store_hanging_a_check_waits_only_its_bound_and_never_piles_a_second_read_on_the_stuck_one()
    {
        var heads = NewHeads();
        _log.Heads = new Dictionary<int, long> { [1] = 6 };
        _log.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var token = new Dictionary<int, long> { [1] = 6 };

        var first = heads.CheckAsync(7, token, Wait, default).AsTask();
        await Testing.Wait.WaitUntilAsync(() => _log.Reads >= 1, TimeSpan.FromSeconds(10), "the first read started");
        Assert.False(first.IsCompleted);
        _time.Advance(Wait);
        Assert.Equal(TokenCheck.Unchecked, await first);

        // The read is still stuck: the next check waits for it (its bound), then gives up without a read of its own.
        var second = heads.CheckAsync(7, token, Wait, default).AsTask();
        Assert.False(second.IsCompleted);
        _time.Advance(Wait);
        Assert.Equal(TokenCheck.Unchecked, await second);
        Assert.Equal(1, _log.Reads);

        // The store answers at last: what it said is learned, and the token is known without another read.
        _log.Gate.SetResult();
        await Testing.Wait.WaitUntilAsync(() => heads.Covers(7, token), TimeSpan.FromSeconds(10), "the late answer learned");
        Assert.Equal(TokenCheck.Known, await heads.CheckAsync(7, token, Wait, default));
        Assert.Equal(1, _log.Reads);
    }

    [Fact]
    public async Task Learned_heads_never_go_down()
    {
        var heads = NewHeads();
        heads.Learn(7, new Dictionary<int, long> { [2] = 9 });
        heads.Learn(7, new Dictionary<int, long> { [2] = 4 });
        Assert.True(heads.Covers(7, new Dictionary<int, long> { [2] = 9 }));
        Assert.Equal(TokenCheck.Known, await heads.CheckAsync(7, new Dictionary<int, long> { [2] = 9 }, Wait, default));
        Assert.Equal(0, _log.Reads);
    }

    /// <summary>Slot heads as a store would answer them, counting the reads.</summary>
    private sealed class HeadsLog : IChangeLog
    {
        private int _reads;

        public IReadOnlyDictionary<int, long> Heads { get; set; } = new Dictionary<int, long>();

        public Exception? Failure { get; set; }

        public TaskCompletionSource? Gate { get; set; }

        public int Reads => Volatile.Read(ref _reads);

        public async Task<IReadOnlyDictionary<int, long>> GetSlotHeadsAsync(long collectionId, SlotRange range, CancellationToken ct)
        {
            Interlocked.Increment(ref _reads);
            if (Gate is { } gate)
            {
                await gate.Task;
            }

            return Failure is { } failure ? throw failure : Heads;
        }

        public Task<IReadOnlyList<ChangeRecord>> ReadAsync(long collectionId, int slot, long afterSeq, int limit, CancellationToken ct) =>
            Task.FromResult<IReadOnlyList<ChangeRecord>>([]);

        public Task<IReadOnlyList<ChangeRecord>> ReadCurrentAsync(long collectionId, SlotRange range, string? afterId, int limit, CancellationToken ct) =>
            Task.FromResult<IReadOnlyList<ChangeRecord>>([]);

        public Task<IReadOnlyDictionary<int, long>> GetSlotFloorsAsync(long collectionId, SlotRange range, CancellationToken ct) =>
            Task.FromResult<IReadOnlyDictionary<int, long>>(new Dictionary<int, long>());

        public Task<long> CompactAsync(long collectionId, IReadOnlyDictionary<int, long> floors, CancellationToken ct) => Task.FromResult(0L);
    }
}
