namespace Mosaic.Index.Graph;

/// <summary>
/// Label → node id for live nodes, holding only the ids: a dense array indexed by label for small labels (row ids), and
/// for the others an open-addressing table of ints (linear probing) that reads each id's label from its record through
/// <c>labelOf</c>.
/// </summary>
/// <remarks>
/// <para>Why: the label is already in every record's header, so a <c>Dictionary&lt;long, int&gt;</c> stored it twice
/// and cost ~29.5 bytes a vector (24-byte entry plus bucket), more than a tenth of an int8 128-d record. This table
/// costs 4 bytes a slot at a load factor between 0.5 and 0.75 (5.3-8 bytes a vector). A probe reads a record's
/// header (a cache miss), which writes and exact searches pay, not the graph walk.</para>
/// <para>Labels below the dense array's length (kept at least half full: at most twice the labels mapped, plus
/// <see cref="DenseSlack"/>) are held there instead, 4 bytes a label at full density and one read that misses no record:
/// a filtered exact scan at 1M rows resolved each allowed row through a slot and a header, two dependent cache misses
/// of its ~10 (bench/README.md, sixth sitting). A shard's labels are its row ids, so they all land there.</para>
/// <para>Not thread-safe: the index calls it under its label lock. Every id in the table is a live node whose record
/// keeps its label while it is here (a record is rewritten only after it left the table as a tombstone).
/// Removal shifts the following run back (no tombstone slots), so probe lengths do not decay under updates.</para>
/// </remarks>
internal sealed class LabelMap
{
    private const int Empty = -1;
    private const int MinCapacity = 16;

    /// <summary>Labels the dense array may cover beyond twice the count: small maps (and the first rows) stay dense.</summary>
    private const int DenseSlack = 4096;

    private readonly Func<int, long> _labelOf;
    private int[] _slots;
    private int[] _dense;
    private int _count;

    /// <summary>Labels in the hash table (<see cref="_count"/> counts both parts).</summary>
    private int _hashed;

    /// <param name="labelOf">The label in a live node's record.</param>
    /// <param name="expected">Labels expected: the table starts with room for them at the highest load (0.75), so an
    /// index built to its announced size never grows it.</param>
    public LabelMap(Func<int, long> labelOf, int expected = 0)
    {
        _labelOf = labelOf;
        _slots = NewSlots(MinCapacity);
        _dense = NewSlots(Math.Max(0, expected));
    }

    public int Count => _count;

    /// <summary>Whether every label is in the dense array, so no look-up reads a record.</summary>
    public bool AllDense => _hashed == 0;

    /// <summary>Bytes the dense array and the table hold (4 per entry or slot).</summary>
    public long Bytes => ((long)_slots.Length + _dense.Length) * sizeof(int);

    public bool TryGetValue(long label, out int id)
    {
        if ((ulong)label < (ulong)_dense.Length)
        {
            id = _dense[label];
            return id != Empty;
        }

        int[] slots = _slots;
        for (int i = Home(label, slots.Length); ; i = Next(i, slots.Length))
        {
            int s = slots[i];
            if (s == Empty)
            {
                id = -1;
                return false;
            }

            if (_labelOf(s) == label)
            {
                id = s;
                return true;
            }
        }
    }

    public bool ContainsKey(long label) => TryGetValue(label, out _);

    /// <summary>Asks the CPU to load the label's entry or home slot: a batch of look-ups then overlaps its cache misses.</summary>
    public unsafe void PrefetchHome(long label)
    {
        if (System.Runtime.Intrinsics.X86.Sse.IsSupported)
        {
            int[] slots = (ulong)label < (ulong)_dense.Length ? _dense : _slots;
            fixed (int* slot = &slots[slots == _dense ? (int)label : Home(label, slots.Length)])
            {
                System.Runtime.Intrinsics.X86.Sse.Prefetch0(slot);
            }
        }
    }

    /// <summary>The id in the label's home slot (-1 when empty), the first record <see cref="TryGetValue"/> will read;
    /// -1 for a dense label, whose look-up reads no record.</summary>
    public int HomeId(long label)
    {
        if ((ulong)label < (ulong)_dense.Length)
        {
            return Empty;
        }

        int[] slots = _slots;
        return slots[Home(label, slots.Length)];
    }

    /// <summary>Maps <paramref name="label"/> (which must be <paramref name="id"/>'s label now) to <paramref name="id"/>; false when the label is already present.</summary>
    public bool TryAdd(long label, int id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        if ((ulong)label >= (ulong)_dense.Length && label >= 0 && label < DenseLimit(_count + 1))
        {
            GrowDense(label);
        }

        if ((ulong)label < (ulong)_dense.Length)
        {
            if (_dense[label] != Empty)
            {
                return false;
            }

            _dense[label] = id;
            _count++;
            return true;
        }

        if ((long)(_hashed + 1) * 4 > (long)_slots.Length * 3)
        {
            Resize(CapacityFor(_hashed + 1));
        }

        int[] slots = _slots;
        int i = Home(label, slots.Length);
        for (; slots[i] != Empty; i = Next(i, slots.Length))
        {
            if (_labelOf(slots[i]) == label)
            {
                return false;
            }
        }

        slots[i] = id;
        _count++;
        _hashed++;
        return true;
    }

    /// <summary>Maps <paramref name="label"/> to <paramref name="id"/>, replacing the id it had.</summary>
    public void Set(long label, int id)
    {
        if (!TryReplace(label, id))
        {
            TryAdd(label, id);
        }
    }

    public bool Remove(long label)
    {
        if ((ulong)label < (ulong)_dense.Length)
        {
            if (_dense[label] == Empty)
            {
                return false;
            }

            _dense[label] = Empty;
            _count--;
            return true;
        }

        int[] slots = _slots;
        int n = slots.Length;
        int i = Home(label, n);
        for (; ; i = Next(i, n))
        {
            int s = slots[i];
            if (s == Empty)
            {
                return false;
            }

            if (_labelOf(s) == label)
            {
                break;
            }
        }

        // Backward shift: move each later entry of the run into the hole unless its home lies cyclically in (hole, j].
        int hole = i;
        for (int j = Next(hole, n); slots[j] != Empty; j = Next(j, n))
        {
            int home = Home(_labelOf(slots[j]), n);
            bool stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
            if (!stays)
            {
                slots[hole] = slots[j];
                hole = j;
            }
        }

        slots[hole] = Empty;
        _count--;
        _hashed--;
        return true;
    }

    /// <summary>Smallest slot count with room for <paramref name="count"/> at a load of at most 0.5 (so 0.75 is reached only after growing 1.5x).</summary>
    private static int CapacityFor(int count) => (int)Math.Min(Math.Max(MinCapacity, 2L * count), Array.MaxLength);

    private static int[] NewSlots(int capacity)
    {
        var slots = GC.AllocateUninitializedArray<int>(capacity);
        slots.AsSpan().Fill(Empty);
        return slots;
    }

    // Fibonacci hashing then Lemire's multiply-shift range reduction: sequential labels (row ids) spread evenly and
    // any capacity works, so the table grows by 1.5x instead of doubling.
    private static int Home(long label, int capacity) =>
        (int)(((((ulong)label * 0x9E3779B97F4A7C15UL) >> 32) * (ulong)(uint)capacity) >> 32);

    private static int Next(int i, int capacity) => i + 1 == capacity ? 0 : i + 1;

    /// <summary>One past the highest label the dense array may cover while holding <paramref name="count"/> labels.</summary>
    private static long DenseLimit(int count) => Math.Min((2L * count) + DenseSlack, Array.MaxLength);

    /// <summary>Grows the dense array past <paramref name="label"/> (by half at least, within <see cref="DenseLimit"/>) and
    /// moves the hashed labels it now covers into it.</summary>
    private void GrowDense(long label)
    {
        long length = Math.Min(Math.Max(label + 1, _dense.Length + (_dense.Length / 2)), DenseLimit(_count + 1));
        var dense = NewSlots((int)length);
        _dense.CopyTo(dense, 0);
        _dense = dense;
        if (_hashed == 0)
        {
            return;
        }

        var moved = new List<(long Label, int Id)>();
        var kept = new List<(long Label, int Id)>();
        foreach (int s in _slots)
        {
            if (s != Empty)
            {
                long l = _labelOf(s);
                ((ulong)l < (ulong)length ? moved : kept).Add((l, s));
            }
        }

        if (moved.Count == 0)
        {
            return;
        }

        foreach (var (l, s) in moved)
        {
            dense[l] = s;
        }

        // The table rebuilt from the labels left, as small as they allow.
        _slots = NewSlots(CapacityFor(kept.Count));
        _hashed = 0;
        foreach (var (l, s) in kept)
        {
            int i = Home(l, _slots.Length);
            while (_slots[i] != Empty)
            {
                i = Next(i, _slots.Length);
            }

            _slots[i] = s;
            _hashed++;
        }
    }

    private bool TryReplace(long label, int id)
    {
        if ((ulong)label < (ulong)_dense.Length)
        {
            if (_dense[label] == Empty)
            {
                return false;
            }

            _dense[label] = id;
            return true;
        }

        int[] slots = _slots;
        for (int i = Home(label, slots.Length); slots[i] != Empty; i = Next(i, slots.Length))
        {
            if (_labelOf(slots[i]) == label)
            {
                slots[i] = id;
                return true;
            }
        }

        return false;
    }

    private void Resize(int capacity)
    {
        int[] old = _slots;
        int[] slots = NewSlots(capacity);
        foreach (int s in old)
        {
            if (s != Empty)
            {
                int i = Home(_labelOf(s), capacity);
                while (slots[i] != Empty)
                {
                    i = Next(i, capacity);
                }

                slots[i] = s;
            }
        }

        _slots = slots;
    }
}
