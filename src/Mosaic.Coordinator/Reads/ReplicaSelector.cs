using System.Collections.Concurrent;
using Mosaic.Core.Seams;

namespace Mosaic.Coordinator.Reads;

/// <summary>Orders a shard's replicas by outstanding requests (least first), so load spreads and a slow replica is avoided.</summary>
public sealed class ReplicaSelector
{
    private readonly ConcurrentDictionary<IShardClient, Counter> _outstanding = new();

    public IEnumerable<IShardClient> Order(IReadOnlyList<IShardClient> replicas) =>
        replicas.Count == 1 ? replicas : replicas.OrderBy(r => _outstanding.GetOrAdd(r, _ => new Counter()).Value);

    public IDisposable Begin(IShardClient replica)
    {
        var counter = _outstanding.GetOrAdd(replica, _ => new Counter());
        Interlocked.Increment(ref counter.Value);
        return new Lease(counter);
    }

    private sealed class Counter
    {
        public int Value;
    }

    private sealed class Lease(Counter counter) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                Interlocked.Decrement(ref counter.Value);
            }
        }
    }
}
