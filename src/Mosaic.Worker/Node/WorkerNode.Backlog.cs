using Mosaic.Core.Placement;
using Mosaic.Core.Seams;

namespace Mosaic.Worker.Node;

/// <summary>Back-pressure for writes: the replicas held here bound how far indexing may fall behind what was acknowledged.</summary>
public sealed partial class WorkerNode : IIndexBacklog
{
    private static readonly TimeSpan BacklogRecheck = TimeSpan.FromMilliseconds(100);

    public async ValueTask WaitForRoomAsync(long collectionId, CancellationToken ct)
    {
        var bound = _options.MaxIndexBacklog;
        if (bound <= TimeSpan.Zero)
        {
            return;
        }

        long started = _time.GetTimestamp();
        foreach (var held in _held.Values)
        {
            var replica = held.Replica;
            if (replica.Collection.Id != collectionId)
            {
                continue;
            }

            // The store's heads now, not the replica's last look at them: a commit it has not read yet counts too.
            var heads = await _log.GetSlotHeadsAsync(collectionId, replica.Range, ct).ConfigureAwait(false);
            while (replica.State == ReplicaState.Serving)
            {
                // Read the generation before the backlog, so an apply between the two wakes the wait below.
                long generation = replica.AppliedGeneration;
                if (replica.BacklogUpTo(heads) <= bound)
                {
                    break;
                }

                var left = _options.MaxBacklogWait - _time.GetElapsedTime(started);
                if (left <= TimeSpan.Zero)
                {
                    return;
                }

                await replica.WaitAppliedAsync(generation, left < BacklogRecheck ? left : BacklogRecheck, ct).ConfigureAwait(false);
            }
        }
    }
}
