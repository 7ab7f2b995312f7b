using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Mosaic.Worker.Shards;

/// <summary>The row ids holding one keyword value, so a filter on it costs what it matches rather than a table scan.</summary>
/// <remarks>
/// Shaped like a Roaring bitmap: rows are grouped by 4096-row block; a block with few rows keeps them as a sorted
/// <c>ushort[]</c> (replaced whole on change), a block with many as a 512-byte bitmap changed in place. One writer (the
/// shard's applier) and many readers: readers see each block either before or after a change, so a row being changed
/// may be missed or reported early. Callers verify every candidate against the row table, which makes early rows
/// harmless; a missed row is one whose change had not finished when the search began.
/// </remarks>
internal sealed class RowPostings
{
    private const int BlockBits = 12;
    private const int BlockMask = (1 << BlockBits) - 1;

    /// <summary>Above this many rows in a block a bitmap (512 bytes) is smaller than the array (2 bytes a row).</summary>
    private const int ArrayMax = 256;

    private volatile Directory _directory = new([], []);
    private int _count;

    /// <summary>Rows holding the value (exact for the writer; for readers, as of a moment ago).</summary>
    public int Count => Volatile.Read(ref _count);

    public void Add(long row)
    {
        var block = BlockFor(row >> BlockBits, create: true)!;
        if (block.Add((int)(row & BlockMask)))
        {
            Interlocked.Increment(ref _count);
        }
    }

    public void Remove(long row)
    {
        if (BlockFor(row >> BlockBits, create: false) is { } block && block.Remove((int)(row & BlockMask)))
        {
            Interlocked.Decrement(ref _count);
        }
    }

    /// <summary>Appends every row, in ascending order.</summary>
    public unsafe void AddTo(List<long> rows)
    {
        var directory = _directory;
        var blocks = directory.Blocks;
        for (int i = 0; i < blocks.Length; i++)
        {
            // A filtered search lists its driver's rows just after the previous search's vector scan pushed them out of
            // the cache, and each block is an object holding an array: ask for a later block's object, then a nearer
            // block's rows, so the misses overlap instead of following one another.
            if (Sse.IsSupported)
            {
                if (i + 8 < blocks.Length)
                {
                    // The reference's value as a number: a hint only, harmless if the object has moved since.
                    Sse.Prefetch0((void*)Unsafe.As<Block, nint>(ref blocks[i + 8]));
                }

                if (i + 4 < blocks.Length)
                {
                    blocks[i + 4].PrefetchRows();
                }
            }

            blocks[i].AddTo(directory.Keys[i] << BlockBits, rows);
        }
    }

    private Block? BlockFor(long key, bool create)
    {
        var directory = _directory;
        int at = Array.BinarySearch(directory.Keys, key);
        if (at >= 0)
        {
            return directory.Blocks[at];
        }

        if (!create)
        {
            return null;
        }

        // A new block: rare (once per 4096-row block a value appears in), so the directory is copied whole.
        at = ~at;
        var keys = new long[directory.Keys.Length + 1];
        var blocks = new Block[keys.Length];
        Array.Copy(directory.Keys, keys, at);
        Array.Copy(directory.Blocks, blocks, at);
        keys[at] = key;
        blocks[at] = new Block();
        Array.Copy(directory.Keys, at, keys, at + 1, directory.Keys.Length - at);
        Array.Copy(directory.Blocks, at, blocks, at + 1, directory.Blocks.Length - at);
        _directory = new Directory(keys, blocks);
        return blocks[at];
    }

    private sealed record Directory(long[] Keys, Block[] Blocks);

    /// <summary>The rows of one 4096-row block: a sorted array while small, a bitmap once large.</summary>
    private sealed class Block
    {
        private volatile ushort[] _items = [];
        private volatile ulong[]? _bits;

        public bool Add(int offset)
        {
            if (_bits is { } bits)
            {
                ulong mask = 1UL << (offset & 63);
                if ((bits[offset >> 6] & mask) != 0)
                {
                    return false;
                }

                bits[offset >> 6] |= mask;
                return true;
            }

            var items = _items;
            int at = Array.BinarySearch(items, (ushort)offset);
            if (at >= 0)
            {
                return false;
            }

            if (items.Length >= ArrayMax)
            {
                var grown = new ulong[(BlockMask + 1) / 64];
                foreach (ushort o in items)
                {
                    grown[o >> 6] |= 1UL << (o & 63);
                }

                grown[offset >> 6] |= 1UL << (offset & 63);
                _bits = grown;
                return true;
            }

            at = ~at;
            var copy = new ushort[items.Length + 1];
            Array.Copy(items, copy, at);
            copy[at] = (ushort)offset;
            Array.Copy(items, at, copy, at + 1, items.Length - at);
            _items = copy;
            return true;
        }

        public bool Remove(int offset)
        {
            if (_bits is { } bits)
            {
                ulong mask = 1UL << (offset & 63);
                if ((bits[offset >> 6] & mask) == 0)
                {
                    return false;
                }

                bits[offset >> 6] &= ~mask;
                return true;
            }

            var items = _items;
            int at = Array.BinarySearch(items, (ushort)offset);
            if (at < 0)
            {
                return false;
            }

            var copy = new ushort[items.Length - 1];
            Array.Copy(items, copy, at);
            Array.Copy(items, at + 1, copy, at, items.Length - at - 1);
            _items = copy;
            return true;
        }

        /// <summary>Asks the CPU for the lines holding this block's rows.</summary>
        public unsafe void PrefetchRows()
        {
            if (_bits is { } bits)
            {
                fixed (ulong* p = bits)
                {
                    for (int line = 0; line < bits.Length * sizeof(ulong); line += 64)
                    {
                        Sse.Prefetch0((byte*)p + line);
                    }
                }

                return;
            }

            var items = _items;
            fixed (ushort* p = items)
            {
                for (int line = 0; line < items.Length * sizeof(ushort); line += 64)
                {
                    Sse.Prefetch0((byte*)p + line);
                }
            }
        }

        public void AddTo(long first, List<long> rows)
        {
            if (_bits is { } bits)
            {
                for (int w = 0; w < bits.Length; w++)
                {
                    ulong word = bits[w];
                    while (word != 0)
                    {
                        rows.Add(first + (w << 6) + System.Numerics.BitOperations.TrailingZeroCount(word));
                        word &= word - 1;
                    }
                }

                return;
            }

            // Written through a span: List.Add's checks per row were half the cost of listing a 25k-row value.
            var items = _items;
            int at = rows.Count;
            System.Runtime.InteropServices.CollectionsMarshal.SetCount(rows, at + items.Length);
            var into = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(rows).Slice(at, items.Length);
            for (int i = 0; i < items.Length; i++)
            {
                into[i] = first + items[i];
            }
        }
    }
}
