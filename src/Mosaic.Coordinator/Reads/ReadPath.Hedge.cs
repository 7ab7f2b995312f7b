using System.Runtime.ExceptionServices;
using Mosaic.Core.Collections;
using Mosaic.Core.Seams;

namespace Mosaic.Coordinator.Reads;

// Hedging, one policy for both rounds to a shard (the query round and the payload fetch): ask the replicas in order, the
// next one too when the last is slower than the hedge delay, and at once when it fails; the first answer wins and the
// others are cancelled. A replica that hangs (SIGSTOP, a stall) then costs a hedge delay, not the request's deadline.
public sealed partial class ReadPath
{
    /// <summary>The configured hedge delay, else the shard's recent p95 (50 ms until it has one), never below <see cref="CoordinatorOptions.MinHedgeDelay"/>.</summary>
    /// <remarks>The fetch round uses the query round's p95: a fetch of the final hits is a smaller read of the same shard.</remarks>
    private TimeSpan HedgeDelay(long collectionId, int shard)
    {
        var delay = _options.HedgeDelay ?? latencies.P95(collectionId, shard) ?? TimeSpan.FromMilliseconds(50);
        return delay < _options.MinHedgeDelay ? _options.MinHedgeDelay : delay;
    }

    /// <summary>
    /// One call to a shard, hedged over <paramref name="order"/>: the first answer and the replica that gave it, or null
    /// and why none did ("timeout" once <paramref name="requestDeadline"/> has passed). A failure that
    /// <paramref name="final"/> names is thrown instead: no other replica would answer differently.
    /// </summary>
    /// <remarks><paramref name="ask"/> takes its state as an argument so that callers pass static lambdas (no closure per shard call).</remarks>
    private async Task<(T? Answer, IShardClient? Replica, string Reason)> HedgedAsync<TState, T>(
        CollectionInfo info, int shard, IEnumerable<IShardClient> order, TState state, Func<TState, IShardClient, CancellationToken, Task<T>> ask,
        CancellationToken requestDeadline, Func<Exception, bool>? final = null)
        where T : class
    {
        // The shard's own token: cancelled when the shard is done, so that a hedge's loser stops using its replica.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(requestDeadline);
        var queue = new Queue<IShardClient>(order);
        var running = new List<Task<T>>();
        var askedOf = new Dictionary<Task<T>, IShardClient>();
        var leases = new List<ReplicaSelector.Lease>();
        string reason = "unavailable";
        var hedgeDelay = HedgeDelay(info.Id, shard);

        void Launch()
        {
            var replica = queue.Dequeue();
            leases.Add(selector.Begin(replica));
            var pending = ask(state, replica, deadline.Token);
            askedOf[pending] = replica;
            running.Add(pending);
        }

        try
        {
            if (queue.Count == 0)
            {
                return (null, null, reason);
            }

            Launch();
            var first = running[0];
            bool hedged = false;
            while (running.Count > 0)
            {
                Task? hedge = queue.Count > 0 ? Task.Delay(hedgeDelay, time, deadline.Token) : null;
                var finished = hedge is null ? await Task.WhenAny(running).ConfigureAwait(false) : await Task.WhenAny([.. running, hedge]).ConfigureAwait(false);
                if (finished == hedge)
                {
                    if (!hedge.IsCanceled)
                    {
                        metrics.RecordHedgeIssued(info.Name, shard);
                        hedged = true;
                        Launch();
                        continue;
                    }

                    finished = await Task.WhenAny(running).ConfigureAwait(false);
                }

                var call = (Task<T>)finished;
                running.Remove(call);
                if (call.IsCompletedSuccessfully)
                {
                    if (hedged && call != first)
                    {
                        metrics.RecordHedgeWon(info.Name, shard);
                    }

                    return (call.Result, askedOf[call], reason);
                }

                if (call.Exception?.InnerException is { } failure && final?.Invoke(failure) == true)
                {
                    ExceptionDispatchInfo.Throw(failure);
                }

                if (requestDeadline.IsCancellationRequested)
                {
                    return (null, null, "timeout");
                }

                reason = ReasonOf(call.Exception?.InnerException);
                if (running.Count == 0 && queue.Count > 0)
                {
                    Launch();
                }
            }

            return (null, null, requestDeadline.IsCancellationRequested ? "timeout" : reason);
        }
        finally
        {
            // Losers of a hedge are cancelled so that they stop using the replica.
            await deadline.CancelAsync().ConfigureAwait(false);
            foreach (var lease in leases)
            {
                lease.Dispose();
            }

            foreach (var loser in running)
            {
                _ = loser.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
            }
        }
    }
}
