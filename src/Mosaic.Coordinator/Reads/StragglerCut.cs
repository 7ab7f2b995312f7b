namespace Mosaic.Coordinator.Reads;

/// <summary>
/// Ends a round's wait for the shards that have not answered, so that a later step (the search after the statistics,
/// the fetch after the search) keeps its time when one shard hangs; but never before some shard has answered.
/// </summary>
/// <remarks>
/// A fixed cut (the round ends at half of what is left) failed whole searches on a loaded machine: when every shard was
/// slow, none had answered by the cut, all were reported missing and the search was a 503 that a few more milliseconds
/// would have answered in full. With no answer there is nothing for the next step to go on with, so the round may then
/// use the deadline; once the first shard answers, the others get <c>share</c> of what is left at that moment (or until
/// the first cut point, whichever is later).
/// </remarks>
internal static class StragglerCut
{
    /// <summary>
    /// Cancels <paramref name="cut"/> once some call in <paramref name="calls"/> has answered and <paramref name="share"/> of
    /// <paramref name="left"/> has passed (counted from the first answer when it came later), unless all are done first.
    /// </summary>
    /// <param name="calls">The round's calls; they must not throw (a shard's failure is a result).</param>
    /// <param name="answered">Whether a call's result is an answer the next step can use.</param>
    /// <param name="cut">Cancelling it ends the calls still waiting; its token also ends this wait (the request's deadline).</param>
    public static Task RunAsync<T>(IReadOnlyList<Task<T>> calls, Func<T, bool> answered, CancellationTokenSource cut, TimeSpan left, double share, TimeProvider time)
    {
        foreach (var call in calls)
        {
            if (!call.IsCompleted)
            {
                return WaitAndCutAsync(calls, answered, cut, left, share, time);
            }
        }

        // In-process shards answer on the caller's thread: nothing to wait for, nothing allocated.
        return Task.CompletedTask;
    }

    private static async Task WaitAndCutAsync<T>(IReadOnlyList<Task<T>> calls, Func<T, bool> answered, CancellationTokenSource cut, TimeSpan left, double share, TimeProvider time)
    {
        long started = time.GetTimestamp();
        var pending = new List<Task<T>>(calls.Count);
        bool any = false;
        foreach (var call in calls)
        {
            if (!call.IsCompleted)
            {
                pending.Add(call);
            }
            else if (call.IsCompletedSuccessfully && answered(call.Result))
            {
                any = true;
            }
        }

        while (!any)
        {
            if (pending.Count == 0)
            {
                return;
            }

            var done = await Task.WhenAny(pending).ConfigureAwait(false);
            pending.Remove(done);
            any = done.IsCompletedSuccessfully && answered(done.Result);
        }

        if (pending.Count == 0)
        {
            return;
        }

        var elapsed = time.GetElapsedTime(started);
        var firstCut = left * share;
        var wait = elapsed <= firstCut ? firstCut - elapsed : (left - elapsed) * share;
        if (wait > TimeSpan.Zero)
        {
            var rest = Task.WhenAll(pending);
            await Task.WhenAny(rest, Task.Delay(wait, time, cut.Token)).ConfigureAwait(false);
            if (rest.IsCompleted)
            {
                return;
            }
        }

        await cut.CancelAsync().ConfigureAwait(false);
    }
}
