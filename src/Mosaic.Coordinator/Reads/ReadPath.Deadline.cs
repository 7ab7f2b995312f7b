using Mosaic.Core.Errors;

namespace Mosaic.Coordinator.Reads;

// The request's deadline: its timeout (timeout_ms, else the default) counted from its arrival; each step of SearchAsync
// takes its share of what is left of it.
public sealed partial class ReadPath
{
    /// <summary>The timeout the search asked for, or the default (an invalid one is rejected by <see cref="ValidateAsync"/>).</summary>
    private TimeSpan RequestedTimeout(SearchQuery query) =>
        query.TimeoutMs is int ms && ms >= 1 && TimeSpan.FromMilliseconds(ms) <= _options.MaxSearchTimeout ? TimeSpan.FromMilliseconds(ms) : _options.DefaultSearchTimeout;

    /// <summary>What is left of <paramref name="timeout"/> counted from <paramref name="started"/>; zero once it has passed.</summary>
    private TimeSpan Left(long started, TimeSpan timeout) => Max(timeout - time.GetElapsedTime(started), TimeSpan.Zero);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>A step before the shards are asked (catalog, embedding, routing), given up at the request's deadline.</summary>
    /// <remarks>
    /// Given up, not only cancelled: a store read that is cancelled may still wait for the store to confirm (Npgsql waits up
    /// to its cancellation timeout for a hung server), and the request must not. Past the deadline nothing was searched: a
    /// 503 naming the step. The common case (the snapshot answers at once) costs nothing.
    /// </remarks>
    private static ValueTask<T> BeforeDeadline<T>(ValueTask<T> step, string what, CancellationTokenSource deadline, CancellationToken ct) =>
        step.IsCompletedSuccessfully ? step : new ValueTask<T>(WaitBeforeDeadlineAsync(step.AsTask(), what, deadline, ct));

    private static async Task<T> WaitBeforeDeadlineAsync<T>(Task<T> step, string what, CancellationTokenSource deadline, CancellationToken ct)
    {
        try
        {
            return await step.WaitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            _ = step.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
            throw new MosaicException(ErrorKind.Unavailable, "timeout", $"timeout_ms: the search's deadline passed while {what}; no shard was asked");
        }
    }
}
