using Mosaic.Core.Collections;
using Mosaic.Core.Seams;

namespace Mosaic.Store.Sqlite;

/// <summary>One caller's write waiting in the group-commit queue, and the promise of its outcome.</summary>
/// <remarks>
/// Claimed exactly once: by the committer that takes it into a group, or by its caller cancelling before that, so a
/// cancelled caller never has its write committed behind its back, and a claimed write always gets an outcome.
/// </remarks>
internal sealed class PendingWrite(CollectionInfo collection, IReadOnlyList<DocumentWrite> writes, string? idempotencyKey, Func<WriteResult, string?>? renderAnswer)
{
    private const int Queued = 0;
    private const int Claimed = 1;
    private const int Cancelled = 2;

    private readonly TaskCompletionSource<(WriteResult? Result, string? StoredAnswer)> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state;

    public CollectionInfo Collection { get; } = collection;

    public IReadOnlyList<DocumentWrite> Writes { get; } = writes;

    public string? IdempotencyKey { get; } = idempotencyKey;

    public Func<WriteResult, string?>? RenderAnswer { get; } = renderAnswer;

    public Task<(WriteResult? Result, string? StoredAnswer)> Completion => _outcome.Task;

    public bool TryClaim() => Interlocked.CompareExchange(ref _state, Claimed, Queued) == Queued;

    public bool TryCancel() => Interlocked.CompareExchange(ref _state, Cancelled, Queued) == Queued;

    public void Succeed((WriteResult? Result, string? StoredAnswer) outcome) => _outcome.SetResult(outcome);

    public void Fail(Exception error) => _outcome.SetException(error);
}
