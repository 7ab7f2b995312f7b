using Mosaic.Core.Slots;

namespace Mosaic.Core.Sharding;

/// <summary>An immutable, versioned assignment of slot ranges to shards for one collection.</summary>
/// <remarks>
/// Ranges are sorted, contiguous and cover all <see cref="SlotHasher.SlotCount"/> slots. Readers take the reference
/// once and never see a half-updated map; a change produces a new map with a higher version.
/// </remarks>
public sealed class ShardMap
{
    private readonly SlotRange[] _ranges;

    private ShardMap(long version, SlotRange[] ranges)
    {
        Version = version;
        _ranges = ranges;
    }

    public long Version { get; }

    public int ShardCount => _ranges.Length;

    public IReadOnlyList<SlotRange> Ranges => _ranges;

    /// <summary>Splits the slot space into <paramref name="shardCount"/> ranges of near-equal size.</summary>
    public static ShardMap Even(int shardCount, long version = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shardCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(shardCount, SlotHasher.SlotCount);
        var ranges = new SlotRange[shardCount];
        for (int i = 0; i < shardCount; i++)
        {
            ranges[i] = new SlotRange(i * SlotHasher.SlotCount / shardCount, (i + 1) * SlotHasher.SlotCount / shardCount);
        }

        return new ShardMap(version, ranges);
    }

    public SlotRange RangeOf(int shard) => _ranges[shard];

    /// <summary>The shard whose range holds <paramref name="slot"/> (binary search over range starts).</summary>
    public int ShardOf(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, SlotHasher.SlotCount);
        int lo = 0, hi = _ranges.Length - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) >> 1;
            if (_ranges[mid].Start <= slot)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return lo;
    }
}
