using System.Collections.Concurrent;

namespace Mosaic.Coordinator.Reads;

/// <summary>Recent answer times per shard, for the hedge delay (the shard's p95, as DESIGN.md §5 says).</summary>
/// <remarks>
/// A fixed ring of the last 128 samples per shard: cheap to record, and p95 follows load changes within seconds. The p95 is
/// re-sorted every 16 samples, not on every shard call (sorting 128 doubles per call was 1.5 % of an embedded vector
/// search's CPU in perf).
/// </remarks>
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
        private const int ResortEvery = 16;
        private readonly double[] _values = new double[Samples];
        private readonly Lock _lock = new();
        private int _next;
        private int _count;
        private int _sinceSorted = ResortEvery;
        private double? _p95;

        public void Add(double value)
        {
            lock (_lock)
            {
                _values[_next] = value;
                _next = (_next + 1) % Samples;
                _count = Math.Min(_count + 1, Samples);
                _sinceSorted++;
            }
        }

        public double? P95()
        {
            lock (_lock)
            {
                if (_count < 20)
                {
                    return null;
                }

                if (_sinceSorted >= ResortEvery)
                {
                    Span<double> copy = stackalloc double[_count];
                    _values.AsSpan(0, _count).CopyTo(copy);
                    copy.Sort();
                    _p95 = copy[(int)Math.Ceiling(_count * 0.95) - 1];
                    _sinceSorted = 0;
                }

                return _p95;
            }
        }
    }
}
