using Mosaic.Embedding.Local;
using Xunit;

namespace Mosaic.Tests.Embedding;

/// <summary>How the local embedder's queue draws batches from the requests waiting: in turn, within a token budget.</summary>
public sealed class FairQueueTests
{
    private readonly FairQueue _queue = new(TimeProvider.System);
    private readonly Dictionary<EmbedJob, string> _names = new(ReferenceEqualityComparer.Instance);

    [Fact]
    public void A_one_text_request_queued_behind_a_large_one_is_in_the_next_batch()
    {
        var large = Job("L", 2048, tokens: 10);
        Assert.True(_queue.TryAdd(large));
        Assert.Equal(Enumerable.Repeat("L", 32), Take(32).Select(Owner));

        var small = Job("S", 1, tokens: 5);
        _queue.TryAdd(small);
        var next = Take(32);
        Assert.Equal(1, next.Count(s => s.Job == small));
        Assert.Equal(31, next.Count(s => s.Job == large));
        Assert.Equal(Enumerable.Range(32, 31), next.Where(s => s.Job == large).Select(s => s.Index));
    }

    [Fact]
    public void Batches_take_one_text_of_each_request_in_turn_and_resume_where_the_last_stopped()
    {
        _queue.TryAdd(Job("A", 10, tokens: 10));
        _queue.TryAdd(Job("B", 10, tokens: 10));
        _queue.TryAdd(Job("C", 2, tokens: 10));
        Assert.Equal(["A0", "B0", "C0", "A1", "B1", "C1", "A2", "B2"], Take(8).Select(Name));
        Assert.Equal(["A3", "B3", "A4", "B4", "A5"], Take(5).Select(Name));
        Assert.Equal(["B5", "A6", "B6"], Take(3).Select(Name));
    }

    [Fact]
    public void A_batch_stops_at_the_token_budget_but_always_takes_one_text()
    {
        _queue.TryAdd(Job("huge", 2, tokens: 600));
        _queue.TryAdd(Job("mid", 4, tokens: 300));
        Assert.Equal(["huge0"], Take(32, maxTokens: 500).Select(Name));
        Assert.Equal(["mid0", "huge1"], Take(32, maxTokens: 1000).Select(Name));
        Assert.Equal(["mid1", "mid2", "mid3"], Take(32, maxTokens: 1000).Select(Name));
    }

    [Fact]
    public void A_request_whose_caller_went_away_is_dropped_and_runs_nothing_more()
    {
        using var gone = new CancellationTokenSource();
        var left = Job("gone", 100, tokens: 10, gone.Token);
        _queue.TryAdd(left);
        _queue.TryAdd(Job("stays", 3, tokens: 10));
        Assert.Equal(["gone0", "stays0", "gone1", "stays1"], Take(4).Select(Name));
        gone.Cancel();
        Assert.Equal(["stays2"], Take(32).Select(Name));
        _queue.Close();
        Assert.False(_queue.Take([], 32, 1000, TimeSpan.Zero));
    }

    [Fact]
    public void After_close_what_is_queued_is_still_handed_out_and_nothing_new_is_taken()
    {
        _queue.TryAdd(Job("A", 3, tokens: 10));
        _queue.Close();
        Assert.False(_queue.TryAdd(Job("late", 1, tokens: 10)));
        Assert.Equal(["A0", "A1", "A2"], Take(32).Select(Name));
        Assert.False(_queue.Take([], 32, 1000, TimeSpan.Zero));
    }

    [Fact]
    public async Task A_job_answers_its_vectors_in_its_own_order_whatever_order_they_come_back_in()
    {
        var job = Job("J", 3, tokens: 7);
        job.Complete(2, [2f]);
        job.Complete(0, [0f]);
        Assert.False(job.Done.IsCompleted);
        job.Complete(1, [1f]);
        var result = await job.Done;
        Assert.Equal([0f, 1f, 2f], result.Vectors.Select(v => v[0]));
        Assert.Equal(21, result.Tokens);
    }

    private EmbedJob Job(string name, int texts, int tokens, CancellationToken ct = default)
    {
        var job = new EmbedJob(Enumerable.Range(0, texts).Select(_ => (IReadOnlyList<int>)new int[tokens]).ToList(), ct);
        _names[job] = name;
        return job;
    }

    private string Owner(EmbedSlot slot) => _names[slot.Job];

    private string Name(EmbedSlot slot) => Owner(slot) + slot.Index;

    private List<EmbedSlot> Take(int maxTexts, int maxTokens = 100_000)
    {
        var batch = new List<EmbedSlot>();
        Assert.True(_queue.Take(batch, maxTexts, maxTokens, TimeSpan.Zero));
        return batch;
    }
}
