using System.Collections.Concurrent;
using Mosaic.Core.Seams;

namespace Mosaic.Coordinator.Reads;

/// <summary>Orders a shard's replicas by outstanding requests (least first), so load spreads and a slow replica is avoided.</summary>
public sealed class ReplicaSelector
{
    private readonly ConcurrentDictionary<IShardClient, Counter> _outstanding = new();

    public IEnumerable<IShardClient> Order(IReadOnlyList<IShardClient> replicas) =>
        replicas.Count == 1 ? replicas : replicas.OrderBy(r => _outstanding.GetOrAdd(r, _ => new Counter()).Value);

    /// <summary>Counts a request to <paramref name="replica"/> as outstanding until the lease is disposed (once).</summary>
    public Lease Begin(IShardClient replica)
    {
        var counter = _outstanding.GetOrAdd(replica, static _ => new Counter());
        Interlocked.Increment(ref counter.Value);
        return new Lease(counter);
    }

    /// <summary>One outstanding request; a struct, so a shard call allocates nothing for it. Dispose it exactly once.</summary>
    public readonly struct Lease : IDisposable
    {
        private readonly Counter _counter;

        internal Lease(Counter counter) => _counter = counter;

        public void Dispose() => Interlocked.Decrement(ref _counter.Value);
    }

    internal sealed class Counter
    {
        public int Value;
    }
}
