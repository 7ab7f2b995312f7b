namespace Mosaic.Core.Changes;

/// <summary>Wakes change-log tailers when new changes commit, so they do not have to poll tightly.</summary>
/// <remarks>
/// A monotonically increasing generation: a waiter passes the generation it last saw and returns as soon as the
/// current one differs, or when the timeout passes (the polling fallback). Never loses a wake-up.
/// </remarks>
public sealed class ChangeSignal
{
    private readonly Lock _lock = new();
    private long _generation;
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public long Generation
    {
        get
        {
            lock (_lock)
            {
                return _generation;
            }
        }
    }

    public void Notify()
    {
        TaskCompletionSource toRelease;
        lock (_lock)
        {
            _generation++;
            toRelease = _next;
            _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        toRelease.TrySetResult();
    }

    public async Task<long> WaitAsync(long seenGeneration, TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        Task wait;
        lock (_lock)
        {
            if (_generation != seenGeneration)
            {
                return _generation;
            }

            wait = _next.Task;
        }

        // The timeout is the polling fallback (the caller checks the log anyway), so it must not throw: every idle
        // replica, router and leader waits here, and a TimeoutException per wait was hundreds of exceptions a second on
        // an idle node with a few hundred shards. Cancellation still throws.
        await wait.WaitAsync(timeout, time, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        ct.ThrowIfCancellationRequested();
        return Generation;
    }
}
