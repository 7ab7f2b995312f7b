using System.Collections.Concurrent;

namespace Mosaic.Coordinator.Reads;

/// <summary>Recent answer times per shard, for the hedge delay (the shard's p95, as DESIGN.md §5 says).</summary>
/// <remarks>A fixed ring of the last 128 samples per shard: cheap to record, and p95 follows load changes within seconds.</remarks>
public sealed class ShardLatencyTracker
{
    private const int Samples = 128;
    private readonly ConcurrentDictionary<(long, int), Ring> _rings = new();

    public void Record(long collectionId, int shard, TimeSpan elapsed) =>
        _rings.GetOrAdd((collectionId, shard), _ => new Ring()).Add(elapsed.TotalMilliseconds);

    /// <summary>The shard's p95, or null until it has enough samples to say.</summary>
    public TimeSpan? P95(long collectionId, int shard) =>
        _rings.TryGetValue((collectionId, shard), out var ring) && ring.P95() is double ms ? TimeSpan.FromMilliseconds(ms) : null;

    private sealed class Ring
    {
        private readonly double[] _values = new double[Samples];
        private readonly Lock _lock = new();
        private int _next;
        private int _count;

        public void Add(double value)
        {
            lock (_lock)
            {
                _values[_next] = value;
                _next = (_next + 1) % Samples;
                _count = Math.Min(_count + 1, Samples);
            }
        }

        public double? P95()
        {
            double[] copy;
            lock (_lock)
            {
                if (_count < 20)
                {
                    return null;
                }

                copy = _values[.._count];
            }

            Array.Sort(copy);
            return copy[(int)Math.Ceiling(copy.Length * 0.95) - 1];
        }
    }
}
