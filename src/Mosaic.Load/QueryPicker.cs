namespace Mosaic.Load;

/// <summary>Maps a request number to a query index, round-robin or by a seeded hash (deterministic under any interleaving).</summary>
public sealed class QueryPicker(int count, QueryOrder order, int seed)
{
    private readonly ulong _seed = (ulong)seed * 0x9E3779B97F4A7C15UL;

    public int Pick(long sequence) => order == QueryOrder.RoundRobin
        ? (int)(sequence % count)
        : (int)(SplitMix64(_seed + (ulong)sequence) % (ulong)count);

    private static ulong SplitMix64(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
