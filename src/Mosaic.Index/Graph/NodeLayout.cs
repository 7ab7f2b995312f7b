using System.Runtime.CompilerServices;

namespace Mosaic.Index.Graph;

/// <summary>Byte layout of one node record: the padded vector or code, a 16-byte header, then the level-0 links.</summary>
/// <remarks>
/// <para>Like hnswlib's data_level0, vector and level-0 neighbour list share one record, so expanding a node whose
/// distance was just computed reads links that sit right after the lines already fetched. int8 graphs instead keep
/// the three parts in dense arrays of their own (HnswIndex.SplitLayout: a header array of 16-byte strides), so its
/// codes start on cache lines without padding.</para>
/// <para>Header: count of level-0 links (ushort; at most 2M ≤ 2048), spin lock (byte), flags (byte: level in the low
/// 5 bits, deleted bit), offset of the upper-level blocks (int, -1 when level 0), label (long, 8-aligned because
/// every record's stride is a multiple of 8, so a reader never sees a torn label). 16 bytes instead of 24 (an int
/// each for count, lock and flags) are what brings an int8 128-d record (128 code + header + 128 links) to 272 bytes,
/// which the int8 target of 0.4x float's memory per vector needs.</para>
/// <para>The fields are written by different owners (count by the node's lock holder, lock by CAS, flags under the
/// index's write lock) and only ever with stores of their own width, never a read-modify-write of the shared word.
/// Count is read and written through <see cref="Count"/>/<see cref="SetCount"/> for level 0 and for upper blocks
/// alike: an upper block's count is an int whose high bytes stay zero, so its low ushort is the count.</para>
/// </remarks>
internal static unsafe class NodeLayout
{
    public const int CountOffset = 0;
    public const int LockOffset = 2;
    public const int FlagsOffset = 3;
    public const int UpperOffset = 4;
    public const int LabelOffset = 8;
    public const int HeaderBytes = 16;
    public const int LevelMask = 0x1F;
    public const int DeletedFlag = 0x80;

    /// <summary>The deleted bit in the flags int of graph files (the format predates the one-byte flags).</summary>
    public const int FileDeletedFlag = 0x100;

    /// <summary>Links in a list: the level-0 header's count or an upper block's first int.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Count(int* countPtr) => Volatile.Read(ref *(ushort*)countPtr);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SetCount(int* countPtr, int count) => Volatile.Write(ref *(ushort*)countPtr, (ushort)count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte* LockByte(byte* header) => header + LockOffset;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsDeleted(byte* header) => (Volatile.Read(ref header[FlagsOffset]) & DeletedFlag) != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Level(byte* header) => header[FlagsOffset] & LevelMask;

    /// <summary>Sets or clears the deleted bit; callers hold the index's write lock, the only writer of flags.</summary>
    public static void SetDeleted(byte* header, bool deleted)
    {
        byte flags = header[FlagsOffset];
        Volatile.Write(ref header[FlagsOffset], (byte)(deleted ? flags | DeletedFlag : flags & ~DeletedFlag));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Label(byte* header) => Volatile.Read(ref *(long*)(header + LabelOffset));

    /// <summary>Writes a fresh header (link count 0, unlocked).</summary>
    public static void Write(byte* header, int level, bool deleted, int upperStart, long label)
    {
        *(ushort*)(header + CountOffset) = 0;
        header[LockOffset] = 0;
        header[FlagsOffset] = (byte)(level | (deleted ? DeletedFlag : 0));
        *(int*)(header + UpperOffset) = upperStart;
        *(long*)(header + LabelOffset) = label;
    }
}
