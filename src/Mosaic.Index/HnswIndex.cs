using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using Mosaic.Core.Collections;
using Mosaic.Index.Graph;
using Mosaic.Index.Kernels;
using Mosaic.Index.Quantization;
using Mosaic.Index.Storage;

namespace Mosaic.Index;

/// <summary>An in-memory HNSW graph over float, int8 or binary vectors, keyed by the caller's <c>long</c> labels.</summary>
/// <remarks>
/// <para>Storage: one native record per node (padded vector or code, header, level-0 links; see <c>NodeLayout</c>) in
/// segments that never move, on 2 MiB pages where Linux allows; upper-level links in a second segmented arena.
/// Removing or replacing a label tombstones its node: tombstones still route traversal (like hnswlib's markDelete)
/// and are never returned. The next insert reuses a tombstone's record (see HnswIndex.Reclaim.cs), so the node
/// count stays bounded under steady updates.</para>
/// <para>Quantized indexes (see HnswIndex.Quantization.cs) store codes, walk the graph on them and rescore the final
/// candidates on full-precision vectors from the caller's <see cref="IVectorSource"/>.</para>
/// <para>Thread safety: any number of concurrent <see cref="Search"/>/<see cref="ExactSearch"/>/<see cref="Contains"/>
/// calls may run alongside writes. Writes (<see cref="Add"/>, <see cref="Remove"/>, <see cref="AddParallel"/>,
/// <see cref="Save"/>) are serialized internally. A reader never follows a link to a record that is not fully
/// written, because a node is linked into the graph only after its record is complete, and every id a reader
/// dereferences is checked against the published capacity.</para>
/// <para>Invariant: for a label, at most one live node exists; Count = nodes - tombstones.</para>
/// </remarks>
public sealed unsafe partial class HnswIndex : IDisposable
{
    private const int MaxLevelCap = 31;

    private readonly int _dimension;
    private readonly int _paddedDimension;

    // Bytes of the stored vector or code at the start of each record, and its length in the distance's units.
    private readonly int _vectorBytes;
    private readonly int _distanceLength;

    // Bytes of a neighbour's record prefetched before its distance: its vector, or for binary its whole record (the
    // code is one line and the links that an expansion reads next are the other three; at 10k x 384 this took
    // 93 -> 71 CPU-us per query at ef=64, equal at ef=8).
    private readonly int _prefetchBytes;
    private readonly int _m;
    private readonly int _maxM0;
    private readonly int _efConstruction;
    private readonly int _headerOffset;
    private readonly int _linksOffset;
    private readonly int _upperBlockInts;
    private readonly double _levelMultiplier;
    private readonly SegmentedMemory _nodes;

    // Where vectors and level-0 links live: the same records as the headers (float and binary), or for int8 dense
    // arrays of their own (see SplitLayout).
    private readonly SegmentedMemory _vectors;
    private readonly SegmentedMemory _links;
    private readonly bool _split;
    private readonly SegmentedMemory _upper;
    private readonly LabelMap _labels;
    private readonly Lock _labelLock = new();
    private readonly Lock _writeLock = new();
    private readonly Lock _reserveLock = new();
    private readonly Lock _entryLock = new();
    private readonly Random _random;
    private readonly int _seed;

    // (maxLevel << 32) | entry node id; -1 while empty. One 64-bit word so readers never pair a level with the wrong node.
    private long _entry = -1;
    private int _nodeCount;
    private int _deletedCount;
    private long _upperUsed;
    private int _disposed;

    public HnswIndex(int dimension, VectorMetric metric, HnswSettings settings, int initialCapacity = 1024, int seed = 42)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dimension, 65536);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.M, 2, nameof(settings));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(settings.M, 1024, nameof(settings));
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.EfConstruction, 1, nameof(settings));
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.EfSearch, 1, nameof(settings));
        ArgumentOutOfRangeException.ThrowIfNegative(initialCapacity);
        if (!Enum.IsDefined(metric))
        {
            throw new ArgumentOutOfRangeException(nameof(metric), metric, "unknown metric");
        }

        _dimension = dimension;
        Metric = metric;
        Settings = settings;
        _seed = seed;
        _random = new Random(seed);
        _paddedDimension = VectorKernels.PaddedLength(dimension);
        _m = settings.M;
        _maxM0 = 2 * settings.M;
        _efConstruction = Math.Max(settings.EfConstruction, settings.M);
        _levelMultiplier = 1.0 / Math.Log(Math.Max(settings.M, 2));
        Quantization = settings.Quantization;
        _kind = KindOf(Quantization, metric);
        if (Quantization == VectorQuantization.Float)
        {
            _vectorBytes = _paddedDimension * sizeof(float);
            _distanceLength = _paddedDimension;
        }
        else
        {
            _vectorBytes = QuantizationCodec.StoredBytes(Quantization, dimension);
            int codeBytes = QuantizationCodec.CodeBytes(Quantization, dimension);
            _distanceLength = Quantization == VectorQuantization.Binary ? codeBytes / sizeof(ulong) : codeBytes;
            _pending = [];
        }

        _upperBlockInts = settings.M + 1;
        long first = Math.Max(initialCapacity, 64);
        _split = SplitLayout && Quantization == VectorQuantization.Int8;
        if (_split)
        {
            // Three arrays with the same segment sizes, so one id addresses all three.
            _headerOffset = 0;
            _linksOffset = 0;
            _nodes = new SegmentedMemory(NodeLayout.HeaderBytes, first);
            _vectors = new SegmentedMemory(_vectorBytes, first);
            _links = new SegmentedMemory(_maxM0 * sizeof(int), first);
            _prefetchBytes = _vectorBytes;
        }
        else
        {
            _headerOffset = _vectorBytes;
            _linksOffset = _headerOffset + NodeLayout.HeaderBytes;
            int stride = _linksOffset + (_maxM0 * sizeof(int));
            if (AlignRecords && Quantization == VectorQuantization.Float)
            {
                stride = (stride + 63) & ~63;
            }

            _nodes = new SegmentedMemory(stride, first);
            _vectors = _nodes;
            _links = _nodes;
            _prefetchBytes = Quantization == VectorQuantization.Binary ? stride : _vectorBytes;
        }

        _upper = new SegmentedMemory(sizeof(int), Math.Max(4096, (MaxLevelCap + 1) * _upperBlockInts * 2));
        _labels = new LabelMap(LabelOf, Math.Min(initialCapacity, 1 << 20));
    }

    /// <summary>
    /// Pad each float record to whole cache lines, so every vector starts on a line and a 128-d vector spans 8 lines,
    /// not 9 (measured +10-15% QPS at 200k x 128, for 6% more memory: 704 instead of 664 bytes a record). Quantized
    /// records are not padded: there memory is the point (an int8 128-d record is 280 bytes, 320 padded).
    /// </summary>
    internal static bool AlignRecords { get; set; } = true;

    /// <summary>
    /// int8 keeps codes, headers and level-0 links in three dense arrays instead of one record per node: a 128-d code
    /// is then exactly two cache lines (64-byte aligned; in a 272-byte record 3 of 4 codes spanned three), and with
    /// 2M = 32 links the link list is two aligned lines too, for the same 272 bytes a node. Scoring a neighbour
    /// touches its code only, expanding a node its header and links only. Off: one record per node, as float.
    /// </summary>
    internal static bool SplitLayout { get; set; } = true;

    public int Dimension => _dimension;

    public VectorMetric Metric { get; }

    public HnswSettings Settings { get; }

    public VectorQuantization Quantization { get; }

    /// <summary>Live (not deleted) vectors.</summary>
    public int Count => Volatile.Read(ref _nodeCount) - Volatile.Read(ref _deletedCount) + PendingCount;

    /// <summary>Node records in the graph, tombstones included (bounded under updates because tombstones are reused).</summary>
    public int NodeCount => Volatile.Read(ref _nodeCount);

    /// <summary>Bytes of node records in use (vectors, level-0 links, headers), upper-level links and the label map.</summary>
    public long MemoryBytes
    {
        get
        {
            int stride = _nodes.StrideBytes + (_split ? _vectors.StrideBytes + _links.StrideBytes : 0);
            long nodes = (long)Volatile.Read(ref _nodeCount) * stride;
            long upper = Volatile.Read(ref _upperUsed) * sizeof(int);
            long map;
            lock (_labelLock)
            {
                map = _labels.Bytes;
            }

            return nodes + upper + map + PendingBytes;
        }
    }

    /// <summary>Adds <paramref name="vector"/> under <paramref name="label"/>; an existing node with that label is tombstoned and replaced.</summary>
    public void Add(long label, ReadOnlySpan<float> vector)
    {
        ValidateVector(vector, nameof(vector));
        ArgumentOutOfRangeException.ThrowIfNegative(label);
        lock (_writeLock)
        {
            ThrowIfDisposed();
            if (AddPending(label, vector))
            {
                return;
            }

            ReplaceLabel(label, -1);
            int id = TryReuse(label, vector);
            if (id < 0)
            {
                id = ReserveNode(label, vector);
                Insert(id, concurrent: false);
            }

            ReplaceLabel(label, id);
        }
    }

    /// <summary>Tombstones the node of <paramref name="label"/>; false when the label is not present.</summary>
    public bool Remove(long label)
    {
        lock (_writeLock)
        {
            ThrowIfDisposed();
            return RemovePending(label) || ReplaceLabel(label, -1);
        }
    }

    public bool Contains(long label)
    {
        lock (_labelLock)
        {
            return _labels.ContainsKey(label) || (_pending?.ContainsKey(label) ?? false);
        }
    }

    public void Dispose()
    {
        lock (_writeLock)
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            _nodes.Dispose();
            if (_split)
            {
                _vectors.Dispose();
                _links.Dispose();
            }

            _upper.Dispose();
        }
    }

    /// <summary>Node <paramref name="id"/>'s 16-byte header (its level-0 link count first).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte* Header(int id) => _nodes[id] + _headerOffset;

    /// <summary>Node <paramref name="id"/>'s stored vector or code.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte* Vector(int id) => _vectors[id];

    /// <summary>Node <paramref name="id"/>'s level-0 links (their count is in the header).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int* Links0(int id) => (int*)(_links[id] + _linksOffset);

    /// <summary>Makes node ids below <paramref name="records"/> addressable (the headers last: readers bound ids by their capacity).</summary>
    private void EnsureNodeCapacity(long records)
    {
        if (_split)
        {
            _vectors.EnsureCapacity(records);
            _links.EnsureCapacity(records);
        }

        _nodes.EnsureCapacity(records);
    }

    /// <summary>Starts loading what expanding node <paramref name="id"/> at level 0 reads: its level-0 links and their count in the header.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void PrefetchLinks(int id)
    {
        if (_split)
        {
            PrefetchLines(Header(id), NodeLayout.HeaderBytes);
            PrefetchLines((byte*)Links0(id), _maxM0 * sizeof(int));
        }
        else
        {
            PrefetchLines(Header(id), NodeLayout.HeaderBytes + (_maxM0 * sizeof(int)));
        }
    }

    /// <summary>
    /// Prefetches every cache line that [<paramref name="p"/>, <paramref name="p"/> + <paramref name="bytes"/>)
    /// touches. Quantized records are not line-aligned: a 128-byte int8 code starts mid-line in 3 of 4 records and
    /// spans three lines, of which counting 64-byte steps from its start fetched only two.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchLines(byte* p, int bytes)
    {
        if (Sse.IsSupported)
        {
            byte* end = p + bytes;
            for (byte* line = (byte*)((nint)p & ~(nint)63); line < end; line += 64)
            {
                Sse.Prefetch0(line);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int* UpperLinks(byte* header, int level)
    {
        int start = *(int*)(header + NodeLayout.UpperOffset);
        return (int*)_upper[start + ((level - 1) * _upperBlockInts)];
    }

    private long LabelOf(int id) => *(long*)(Header(id) + NodeLayout.LabelOffset);

    private static int LevelOf(byte* header) => NodeLayout.Level(header);

    /// <summary>Tombstones the current node of <paramref name="label"/> (if any) and maps the label to <paramref name="newId"/> (or unmaps it when -1).</summary>
    private bool ReplaceLabel(long label, int newId)
    {
        lock (_labelLock)
        {
            bool existed = _labels.TryGetValue(label, out int old);
            if (existed && old != newId)
            {
                NodeLayout.SetDeleted(Header(old), true);
                Interlocked.Increment(ref _deletedCount);
                _free.Add(old);
            }

            if (newId >= 0)
            {
                _labels.Set(label, newId);
            }
            else if (existed)
            {
                _labels.Remove(label);
            }

            return existed;
        }
    }

    /// <summary>Takes the next node id, draws its level and writes its record (vector, header, empty link lists).</summary>
    private int ReserveNode(long label, ReadOnlySpan<float> vector)
    {
        int id, level, upperStart = -1;
        lock (_reserveLock)
        {
            id = _nodeCount;
            if (id == int.MaxValue)
            {
                throw new InvalidOperationException("index is full");
            }

            level = DrawLevel();
            EnsureNodeCapacity(id + 1L);
            if (level > 0)
            {
                upperStart = AllocateUpper(level * _upperBlockInts);
            }

            // The record is written below, outside the lock; readers cannot reach it before Insert links it.
            Volatile.Write(ref _nodeCount, id + 1);
        }

        WriteVector(Vector(id), vector);
        byte* header = Header(id);
        NodeLayout.Write(header, level, deleted: false, upperStart, label);
        for (int l = 1; l <= level; l++)
        {
            *UpperLinks(header, l) = 0;
        }

        return id;
    }

    /// <summary>Writes the stored form of <paramref name="vector"/> (normalized for cosine; encoded when quantized) at the start of a record.</summary>
    private void WriteVector(byte* node, ReadOnlySpan<float> vector)
    {
        if (_codec is null)
        {
            float* v = (float*)node;
            vector.CopyTo(new Span<float>(v, _dimension));
            new Span<float>(v + _dimension, _paddedDimension - _dimension).Clear();
            if (Metric == VectorMetric.Cosine)
            {
                Normalize(v, _dimension);
            }

            return;
        }

        // On the stack up to 16 KB, so steady updates of a quantized index allocate nothing.
        Span<float> buffer = _dimension <= StackQueryFloats ? stackalloc float[_dimension] : new float[_dimension];
        vector.CopyTo(buffer);
        fixed (float* b = buffer)
        {
            if (Metric == VectorMetric.Cosine)
            {
                Normalize(b, _dimension);
            }

            _codec.Encode(b, node);
        }
    }

    private int DrawLevel()
    {
        double r = -Math.Log(1.0 - _random.NextDouble()) * _levelMultiplier;
        return (int)Math.Min(r, MaxLevelCap);
    }

    private int AllocateUpper(int ints)
    {
        long start = _upperUsed;
        long end = _upper.SegmentEnd(start);
        if (start + ints > end)
        {
            // A node's blocks must not straddle two segments; the tail of this one stays unused.
            start = end;
        }

        _upper.EnsureCapacity(start + ints);
        if (start + ints > int.MaxValue)
        {
            throw new InvalidOperationException("upper-level link arena is full");
        }

        Volatile.Write(ref _upperUsed, start + ints);
        return (int)start;
    }

    private static void Normalize(float* v, int n)
    {
        float norm = MathF.Sqrt(VectorKernels.Dot(v, v, n));
        if (norm > 0)
        {
            float inv = 1f / norm;
            for (int i = 0; i < n; i++)
            {
                v[i] *= inv;
            }
        }
    }

    private void ValidateVector(ReadOnlySpan<float> vector, string paramName)
    {
        if (vector.Length != _dimension)
        {
            throw new ArgumentException($"expected a vector of dimension {_dimension}, got {vector.Length}", paramName);
        }

        foreach (float x in vector)
        {
            if (!float.IsFinite(x))
            {
                throw new ArgumentException("vector contains NaN or infinity", paramName);
            }
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed != 0, this);
}
