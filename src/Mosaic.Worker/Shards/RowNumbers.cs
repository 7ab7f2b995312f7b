namespace Mosaic.Worker.Shards;

/// <summary>One number field's rows sorted by value, so a range or an equality costs what it matches rather than a table scan.</summary>
/// <remarks>
/// <para>
/// (value, row) pairs in ascending order, cut into leaves of at most <see cref="LeafMax"/> pairs. A leaf is immutable:
/// the writer (the shard's applier) replaces it whole on every change, splits it in two when full and drops it when empty,
/// replacing the leaf directory only then. Readers take the directory once and see every leaf before or after a change,
/// so a row being changed may be missed or reported early; callers verify every candidate against the row table, as with
/// <see cref="RowPostings"/>. Missing values (NaN) are not held.
/// </para>
/// <para>
/// Cost: a change copies one leaf (at most 8 KiB); a query does a binary search over leaf minima, then reads the leaves
/// it overlaps.
/// </para>
/// </remarks>
internal sealed class RowNumbers
{
    /// <summary>Pairs in a leaf before it splits: small enough that the copy per change stays cheap.</summary>
    private const int LeafMax = 512;

    /// <summary>Range bitmaps kept for repeated ranges; a few, as each holds a bit per row of the table.</summary>
    private const int KeptBitmaps = 4;

    private volatile Leaf[] _leaves = [];
    private volatile RangeBitmap[] _bitmaps = [];
    private int _count;

    /// <summary>Bumped after every change to the pairs: a bitmap built at one version holds for as long as it is current.</summary>
    private long _version;

    /// <summary>Rows holding a value (exact for the writer; for readers, as of a moment ago).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Writer only, before readers: replaces the contents with <paramref name="pairs"/> at once (a shard opening).</summary>
    /// <remarks>One sort instead of a leaf copy per row; leaves start half full, so the first changes do not split them.</remarks>
    public void Load(List<(double Value, long Row)> pairs)
    {
        pairs.RemoveAll(p => double.IsNaN(p.Value));
        pairs.Sort(static (x, y) => Compare(x.Value, x.Row, y.Value, y.Row));
        var leaves = new Leaf[(pairs.Count + LeafMax / 2 - 1) / (LeafMax / 2)];
        for (int l = 0; l < leaves.Length; l++)
        {
            int from = l * (LeafMax / 2);
            int count = Math.Min(LeafMax / 2, pairs.Count - from);
            var values = new double[count];
            var rows = new long[count];
            for (int i = 0; i < count; i++)
            {
                (values[i], rows[i]) = pairs[from + i];
            }

            leaves[l] = new Leaf(values, rows);
        }

        _leaves = leaves;
        Volatile.Write(ref _count, pairs.Count);
        Interlocked.Increment(ref _version);
    }

    public void Add(double value, long row)
    {
        if (double.IsNaN(value))
        {
            return;
        }

        var leaves = _leaves;
        if (leaves.Length == 0)
        {
            _leaves = [new Leaf([value], [row])];
            Interlocked.Increment(ref _count);
            Interlocked.Increment(ref _version);
            return;
        }

        int at = LeafFor(leaves, value, row);
        var leaf = Volatile.Read(ref leaves[at]);
        int i = leaf.Find(value, row);
        if (i >= 0)
        {
            return;
        }

        var grown = leaf.Insert(~i, value, row);
        if (grown.Values.Length <= LeafMax)
        {
            Volatile.Write(ref leaves[at], grown);
        }
        else
        {
            int half = grown.Values.Length / 2;
            var split = new Leaf[leaves.Length + 1];
            Array.Copy(leaves, split, at);
            split[at] = grown.Slice(0, half);
            split[at + 1] = grown.Slice(half, grown.Values.Length - half);
            Array.Copy(leaves, at + 1, split, at + 2, leaves.Length - at - 1);
            _leaves = split;
        }

        Interlocked.Increment(ref _count);
        Interlocked.Increment(ref _version);
    }

    public void Remove(double value, long row)
    {
        var leaves = _leaves;
        if (double.IsNaN(value) || leaves.Length == 0)
        {
            return;
        }

        int at = LeafFor(leaves, value, row);
        var leaf = Volatile.Read(ref leaves[at]);
        int i = leaf.Find(value, row);
        if (i < 0)
        {
            return;
        }

        if (leaf.Values.Length > 1)
        {
            Volatile.Write(ref leaves[at], leaf.Without(i));
        }
        else
        {
            var shrunk = new Leaf[leaves.Length - 1];
            Array.Copy(leaves, shrunk, at);
            Array.Copy(leaves, at + 1, shrunk, at, leaves.Length - at - 1);
            _leaves = shrunk;
        }

        Interlocked.Decrement(ref _count);
        Interlocked.Increment(ref _version);
    }

    /// <summary>Rows with a value within the bounds (null: open), counted up to <paramref name="cap"/> (then <paramref name="cap"/>).</summary>
    public long CountWithin(double? min, bool minInclusive, double? max, bool maxInclusive, long cap)
    {
        // A current bitmap of the range knows its count: planning a repeated filter then visits no leaves.
        if (Current(min, minInclusive, max, maxInclusive, 0) is { } bitmap)
        {
            return Math.Min(bitmap.Count, cap);
        }

        long count = 0;
        Visit(min, minInclusive, max, maxInclusive, (leaf, from, to) =>
        {
            count += to - from;
            return count < cap;
        });
        return Math.Min(count, cap);
    }

    /// <summary>Appends the rows with a value within the bounds, in value order (not row order).</summary>
    public void AddWithin(double? min, bool minInclusive, double? max, bool maxInclusive, List<long> rows) =>
        Visit(min, minInclusive, max, maxInclusive, (leaf, from, to) =>
        {
            for (int i = from; i < to; i++)
            {
                rows.Add(leaf.Rows[i]);
            }

            return true;
        });

    /// <summary>
    /// A bitmap of the rows below <paramref name="rowLimit"/> with a value within the bounds (bit r of word r / 64), built
    /// once and reused by later calls for the same bounds until the pairs change; null when none is current and
    /// <paramref name="build"/> is false.
    /// </summary>
    /// <remarks>
    /// A filtered search checks its driving condition's candidates against a range (<see cref="RowProbe"/>); at 1M rows a
    /// read of the value column per candidate cost ~8 ns (a cache miss), a bit of a 62 KB bitmap next to nothing. The
    /// bitmap holds the rows as of the version read before it was built: a change finishing meanwhile moves the version
    /// on, so it is used only by searches that began before that change finished, as a search reading the pairs would.
    /// The caller must not change the bitmap.
    /// </remarks>
    public ulong[]? Bitmap(double? min, bool minInclusive, double? max, bool maxInclusive, long rowLimit, bool build)
    {
        long version = Volatile.Read(ref _version);
        if (Current(min, minInclusive, max, maxInclusive, rowLimit) is { } current)
        {
            return current.Bits;
        }

        if (!build)
        {
            return null;
        }

        var bits = new ulong[(rowLimit + 63) >> 6];
        long count = 0;
        Visit(min, minInclusive, max, maxInclusive, (leaf, from, to) =>
        {
            var rows = leaf.Rows;
            for (int i = from; i < to; i++)
            {
                long row = rows[i];
                if ((ulong)(row >> 6) < (ulong)bits.Length)
                {
                    bits[row >> 6] |= 1UL << (int)(row & 63);
                    count++;
                }
            }

            return true;
        });

        // Copy-on-write, the stale and the same bounds' entries dropped, the oldest beyond KeptBitmaps too; two searches
        // storing at once may lose one entry, which the next search of those bounds builds again.
        var kept = _bitmaps;
        var entry = new RangeBitmap(min, minInclusive, max, maxInclusive, version, bits, count);
        _bitmaps = kept
            .Where(b => b.Version == version && !(b.Min == min && b.MinInclusive == minInclusive && b.Max == max && b.MaxInclusive == maxInclusive))
            .Take(KeptBitmaps - 1)
            .Prepend(entry)
            .ToArray();
        return bits;
    }

    /// <summary>The bitmap of these bounds built at the current version and covering <paramref name="rowLimit"/> rows, if any.</summary>
    private RangeBitmap? Current(double? min, bool minInclusive, double? max, bool maxInclusive, long rowLimit)
    {
        long version = Volatile.Read(ref _version);
        foreach (var b in _bitmaps)
        {
            if (b.Version == version && b.Min == min && b.MinInclusive == minInclusive && b.Max == max && b.MaxInclusive == maxInclusive
                && (long)b.Bits.Length << 6 >= rowLimit)
            {
                return b;
            }
        }

        return null;
    }

    /// <summary>Calls <paramref name="visit"/> with each leaf's run [from, to) of pairs within the bounds, in order, while it returns true.</summary>
    private void Visit(double? min, bool minInclusive, double? max, bool maxInclusive, Func<Leaf, int, int, bool> visit)
    {
        var leaves = _leaves;
        if (leaves.Length == 0)
        {
            return;
        }

        // The first leaf that may hold the lower bound: the last whose minimum is below it (an equal minimum may have
        // equal values before it, in the previous leaf).
        int start = 0;
        if (min is double lo)
        {
            int a = 0, b = leaves.Length - 1;
            while (a < b)
            {
                int mid = (a + b + 1) >>> 1;
                if (Volatile.Read(ref leaves[mid]).Values[0] < lo)
                {
                    a = mid;
                }
                else
                {
                    b = mid - 1;
                }
            }

            start = a;
        }

        for (int l = start; l < leaves.Length; l++)
        {
            var leaf = Volatile.Read(ref leaves[l]);
            var values = leaf.Values;
            if (max is double hi && (maxInclusive ? values[0] > hi : values[0] >= hi))
            {
                return;
            }

            int from = min is double low ? LowerBound(values, low, minInclusive) : 0;
            int to = max is double high ? LowerBound(values, high, !maxInclusive) : values.Length;
            if (from < to && !visit(leaf, from, to))
            {
                return;
            }
        }
    }

    /// <summary>The first index whose value is ≥ <paramref name="bound"/> (<paramref name="inclusive"/>) or &gt; it (not).</summary>
    private static int LowerBound(double[] values, double bound, bool inclusive)
    {
        int a = 0, b = values.Length;
        while (a < b)
        {
            int mid = (a + b) >>> 1;
            if (inclusive ? values[mid] < bound : values[mid] <= bound)
            {
                a = mid + 1;
            }
            else
            {
                b = mid;
            }
        }

        return a;
    }

    /// <summary>Writer only: the leaf a pair belongs in, the last whose first pair is not above it (or the first leaf).</summary>
    private static int LeafFor(Leaf[] leaves, double value, long row)
    {
        int a = 0, b = leaves.Length - 1;
        while (a < b)
        {
            int mid = (a + b + 1) >>> 1;
            if (Compare(leaves[mid].Values[0], leaves[mid].Rows[0], value, row) <= 0)
            {
                a = mid;
            }
            else
            {
                b = mid - 1;
            }
        }

        return a;
    }

    private sealed record RangeBitmap(double? Min, bool MinInclusive, double? Max, bool MaxInclusive, long Version, ulong[] Bits, long Count);

    private static int Compare(double v1, long r1, double v2, long r2) => v1 < v2 ? -1 : v1 > v2 ? 1 : r1.CompareTo(r2);

    /// <summary>An immutable run of (value, row) pairs in ascending order.</summary>
    private sealed class Leaf(double[] values, long[] rows)
    {
        public double[] Values { get; } = values;

        public long[] Rows { get; } = rows;

        /// <summary>The pair's index, or the bitwise complement of where it would go.</summary>
        public int Find(double value, long row)
        {
            int a = 0, b = Values.Length - 1;
            while (a <= b)
            {
                int mid = (a + b) >>> 1;
                int c = Compare(Values[mid], Rows[mid], value, row);
                if (c == 0)
                {
                    return mid;
                }

                if (c < 0)
                {
                    a = mid + 1;
                }
                else
                {
                    b = mid - 1;
                }
            }

            return ~a;
        }

        public Leaf Insert(int at, double value, long row)
        {
            var values = new double[Values.Length + 1];
            var rows = new long[values.Length];
            Array.Copy(Values, values, at);
            Array.Copy(Rows, rows, at);
            values[at] = value;
            rows[at] = row;
            Array.Copy(Values, at, values, at + 1, Values.Length - at);
            Array.Copy(Rows, at, rows, at + 1, Rows.Length - at);
            return new Leaf(values, rows);
        }

        public Leaf Without(int at)
        {
            var values = new double[Values.Length - 1];
            var rows = new long[values.Length];
            Array.Copy(Values, values, at);
            Array.Copy(Rows, rows, at);
            Array.Copy(Values, at + 1, values, at, values.Length - at);
            Array.Copy(Rows, at + 1, rows, at, rows.Length - at);
            return new Leaf(values, rows);
        }

        public Leaf Slice(int from, int count) => new(Values.AsSpan(from, count).ToArray(), Rows.AsSpan(from, count).ToArray());
    }
}
