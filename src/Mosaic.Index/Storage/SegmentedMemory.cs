using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Mosaic.Index.Storage;

/// <summary>
/// An append-only array of fixed-size native records in segments that never move: segment 0 holds
/// <c>first</c> records and each next segment twice as many as the one before.
/// </summary>
/// <remarks>
/// Why: readers search while a writer appends. A growable array would have to be copied, and a reader holding the
/// old copy would miss (or, after a free, fault on) records written later. Here a record's address never changes, the
/// segment directory is allocated once at its final size (32 entries cover 2^31 records), and a segment's pointer is
/// published before any record in it is handed out. Record i lives in segment log2(i + first) - log2(first), so the
/// address is a leading-zero count, a shift and one L1-resident load away from the id; with the bench's
/// initialCapacity = n it is always segment 0 and the branch is perfectly predicted.
/// Memory is not zeroed: a record is initialized by its writer before any reader can reach it.
/// </remarks>
internal sealed unsafe class SegmentedMemory : IDisposable
{
    private const int MaxSegments = 32;
    private readonly nint* _segments;
    private readonly int _log2First;
    private readonly uint _first;
    private readonly nuint _stride;
    private readonly Lock _growLock = new();
    private long _capacity;
    private long _allocatedBytes;
    private int _segmentCount;
    private int _freed;

    public SegmentedMemory(int strideBytes, long firstSegmentRecords)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(strideBytes, 1);
        _stride = (nuint)strideBytes;
        uint first = (uint)Math.Clamp(firstSegmentRecords, 64, 1L << 30);
        _first = BitOperations.RoundUpToPowerOf2(first);
        _log2First = BitOperations.Log2(_first);
        _segments = (nint*)NativeMemory.AllocZeroed((nuint)(MaxSegments * sizeof(nint)));
    }

    ~SegmentedMemory() => Free();

    public int StrideBytes => (int)_stride;

    /// <summary>Records addressable now (every id below it has a published segment).</summary>
    public long Capacity => Volatile.Read(ref _capacity);

    public long AllocatedBytes => Volatile.Read(ref _allocatedBytes);

    public byte* this[int id]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            uint t = (uint)id + _first;
            int h = BitOperations.Log2(t);
            return (byte*)_segments[h - _log2First] + ((t - (1u << h)) * _stride);
        }
    }

    /// <summary>Makes ids below <paramref name="records"/> addressable, allocating segments as needed.</summary>
    public void EnsureCapacity(long records)
    {
        if (records <= Volatile.Read(ref _capacity))
        {
            return;
        }

        lock (_growLock)
        {
            while (_capacity < records)
            {
                if (_segmentCount == MaxSegments || _capacity >= int.MaxValue)
                {
                    throw new InvalidOperationException("index is full (2^31 records)");
                }

                long size = (long)_first << _segmentCount;
                void* p = HugePages.Allocate((nuint)size * _stride, out nuint bytes);
                _segments[_segmentCount] = (nint)p;
                _segmentCount++;
                Volatile.Write(ref _allocatedBytes, _allocatedBytes + (long)bytes);

                // Publish the pointer before the capacity that lets anyone use it.
                Volatile.Write(ref _capacity, Math.Min(_capacity + size, int.MaxValue));
            }
        }
    }

    /// <summary>The id one past the segment that holds <paramref name="id"/> (for bump allocators that must not straddle segments).</summary>
    public long SegmentEnd(long id)
    {
        ulong t = (ulong)id + _first;
        int h = BitOperations.Log2(t);
        return (long)(1UL << (h + 1)) - _first;
    }

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        if (Interlocked.Exchange(ref _freed, 1) != 0)
        {
            return;
        }

        for (int i = 0; i < MaxSegments; i++)
        {
            if (_segments[i] != 0)
            {
                HugePages.Free((void*)_segments[i]);
            }
        }

        NativeMemory.Free(_segments);
    }
}
