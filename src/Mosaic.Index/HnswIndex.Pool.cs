using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Mosaic.Index.Graph;
using Mosaic.Index.Kernels;

namespace Mosaic.Index;

/// <summary>The unrestricted layer search over one sorted candidate pool instead of two heaps.</summary>
/// <remarks>
/// When every node may be a result (construction, and searches with no filter and no tombstones), the frontier and
/// the result set of hnswlib's searchBaseLayer hold the same nodes: the frontier is just the results not yet
/// expanded. So one array of at most ef candidates sorted by distance, with an "expanded" bit per entry and a cursor
/// at the closest unexpanded one, does both jobs (the "linear pool" of zilliz's glass / Vamana's search list).
/// It visits exactly the nodes the two-heap search visits (candidates the heaps would push past ef are the ones
/// whose pop ends that search), but an insertion is a binary search plus a short memmove instead of two
/// heap sifts with unpredictable branches, and the answer comes out sorted.
/// </remarks>
public sealed unsafe partial class HnswIndex
{
    private const int ExpandedBit = int.MinValue;

    /// <summary>Off: use the two-heap search everywhere (the tests check both give the same answers).</summary>
    internal static bool UsePool { get; set; } = true;

    /// <summary>Off: the pool's insertion position by binary search (the tests compare both; the bench's A/B switch).</summary>
    internal static bool VectorInsert { get; set; } = true;

    /// <summary>Off: the next node's link list is prefetched only once the current node's neighbours are scored (the bench's A/B switch).</summary>
    internal static bool EarlyLinks { get; set; } = true;

    /// <summary>
    /// Searches one layer; leaves the best (at most ef) candidates sorted ascending in scratch.Pool (ids may carry
    /// <see cref="ExpandedBit"/>). <paramref name="lockingFor"/>: in a parallel build, the id of the node being
    /// inserted; each expanded node's list is then read under its lock (see <see cref="Insert{TDist}"/>).
    /// A restricting <paramref name="filter"/> does not change the walk: the allowed nodes among those whose distance
    /// is computed are kept on the side, as a max-heap of at most ef in scratch.Results (<paramref name="allowed"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    private int SearchLayerSorted<TDist>(SearchScratch scratch, byte* q, int ep, float epDist, int level, int ef, int limit, int lockingFor = -1)
        where TDist : struct, IDistance
        => SearchLayerSorted<TDist, AnyNode>(scratch, q, ep, epDist, level, ef, limit, lockingFor, default, out _);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    private int SearchLayerSorted<TDist, TFilter>(SearchScratch scratch, byte* q, int ep, float epDist, int level, int ef, int limit, int lockingFor, TFilter filter, out int allowed)
        where TDist : struct, IDistance
        where TFilter : struct, INodeFilter
    {
        ushort tag = scratch.Begin(limit);
        scratch.EnsurePool(ef + 4);
        int maxLinks = level == 0 ? _maxM0 : _m;
        scratch.EnsurePending(maxLinks);
        ref ushort visited = ref MemoryMarshal.GetArrayDataReference(scratch.Visited);
        ref int pending = ref MemoryMarshal.GetArrayDataReference(scratch.Pending);
        ref nint pendingNodes = ref MemoryMarshal.GetArrayDataReference(scratch.PendingNodes);
        Candidate[] poolArray = scratch.Pool;
        ref Candidate pool = ref MemoryMarshal.GetArrayDataReference(poolArray);
        int dim = _distanceLength;
        int vectorBytes = _prefetchBytes;
        int resultCount = 0;
        ref Candidate results = ref Unsafe.NullRef<Candidate>();
        if (TFilter.Restricts)
        {
            scratch.EnsureResults(ef + 1);
            results = ref MemoryMarshal.GetArrayDataReference(scratch.Results);
            if (filter.Allows(Header(ep)))
            {
                CandidateHeap.PushMax(ref results, ref resultCount, epDist, ep);
            }
        }

        int* lockedCopy = stackalloc int[lockingFor >= 0 ? maxLinks : 1];
        pool = new Candidate(epDist, ep);
        int size = 1;
        int cursor = 0;
        Unsafe.Add(ref visited, ep) = tag;

        while (cursor < size)
        {
            ref Candidate current = ref Unsafe.Add(ref pool, cursor);
            int currentId = current.Id;
            current.Id = currentId | ExpandedBit;
            byte* header = Header(currentId);
            int* links;
            int n;
            if (level == 0)
            {
                links = Links0(currentId);
                n = NodeLayout.Count((int*)header);
            }
            else
            {
                int* block = UpperLinks(header, level);
                n = Volatile.Read(ref *block);
                links = block + 1;
            }

            if ((uint)n > (uint)maxLinks)
            {
                n = maxLinks;
            }

            if (lockingFor >= 0 && currentId != lockingFor)
            {
                byte* lockWord = NodeLayout.LockByte(header);
                LockNode(lockWord);
                n = Math.Min(NodeLayout.Count(level == 0 ? (int*)header : links - 1), maxLinks);
                new ReadOnlySpan<int>(links, n).CopyTo(new Span<int>(lockedCopy, n));
                Volatile.Write(ref *lockWord, (byte)0);
                links = lockedCopy;
            }

            // Pass 1: drop visited neighbours and prefetch all lines of the rest, so their misses overlap
            // (measured: +40% QPS at 200k x 128 over prefetching one line ahead, and still +5% when it fits in cache;
            // at 384-d prefetching only the first 4, 8 or 16 lines of each vector was 5-12% slower).
            int fresh = 0;
            for (int j = 0; j < n; j++)
            {
                int nb = links[j];
                if ((uint)nb >= (uint)limit)
                {
                    continue;
                }

                ref ushort mark = ref Unsafe.Add(ref visited, nb);
                if (mark == tag)
                {
                    continue;
                }

                mark = tag;
                byte* p = Vector(nb);
                Unsafe.Add(ref pending, fresh) = nb;
                Unsafe.Add(ref pendingNodes, fresh++) = (nint)p;
                PrefetchLines(p, vectorBytes);
            }

            if (EarlyLinks && level == 0 && Sse.IsSupported)
            {
                // The likely next node to expand (the closest unexpanded one after this): its link list starts
                // loading while this node's neighbours are scored, instead of after, when the walk waits for it.
                // int8 at 100k x 128: -10 % CPU per query; float within noise (bench/README.md, ninth sitting).
                int next = cursor + 1;
                while (next < size && Unsafe.Add(ref pool, next).Id < 0)
                {
                    next++;
                }

                if (next < size)
                {
                    PrefetchLinks(Unsafe.Add(ref pool, next).Id);
                }
            }

            // Pass 2: distances; a candidate enters the pool when it beats the worst of a full pool.
            int nextCursor = cursor + 1;
            for (int j = 0; j < fresh; j++)
            {
                int nb = Unsafe.Add(ref pending, j);
                byte* nbNode = (byte*)Unsafe.Add(ref pendingNodes, j);
                float d = TDist.Distance(q, nbNode, dim);
                if (TFilter.Restricts && (resultCount < ef || d < results.Distance) && filter.Allows(Header(nb)))
                {
                    CandidateHeap.PushMax(ref results, ref resultCount, d, nb);
                    if (resultCount > ef)
                    {
                        CandidateHeap.PopMax(ref results, ref resultCount);
                    }
                }

                if (size == ef && d >= Unsafe.Add(ref pool, size - 1).Distance)
                {
                    continue;
                }

                int lo = InsertPosition(ref pool, size, d);
                int move = (size == ef ? size - 1 : size) - lo;
                if (move > 0)
                {
                    ShiftUp(ref Unsafe.Add(ref pool, lo), move);
                }

                Unsafe.Add(ref pool, lo) = new Candidate(d, nb);
                if (size < ef)
                {
                    size++;
                }

                if (lo < nextCursor)
                {
                    nextCursor = lo;
                }
            }

            // Advance to the closest entry not yet expanded.
            cursor = nextCursor;
            while (cursor < size && Unsafe.Add(ref pool, cursor).Id < 0)
            {
                cursor++;
            }

            if (cursor < size && level == 0 && Sse.IsSupported)
            {
                // Its link list (the lines after its vector) is read next.
                PrefetchLinks(Unsafe.Add(ref pool, cursor).Id);
            }
        }

        allowed = resultCount;
        return size;
    }

    /// <summary>
    /// Where d goes in the sorted pool: the number of entries not farther than d. Up to 64 entries (every search's
    /// pool at the usual ef) by counting with vector compares, four (distance, id) pairs a step, instead of a binary
    /// search whose branches the CPU cannot predict (~5 mispredictions per insertion at ef 24: 15 % of a walk's
    /// samples at 20k x 128). Reads up to 3 entries past <paramref name="size"/> (the pool holds ef + 4).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int InsertPosition(ref Candidate pool, int size, float d)
    {
        if (!Vector256.IsHardwareAccelerated || size > 64 || !VectorInsert)
        {
            return BranchlessPosition(ref pool, size, d);
        }

        var dv = Vector256.Create(d);
        ref float first = ref Unsafe.As<Candidate, float>(ref pool);
        int count = 0;
        for (int i = 0; i < size; i += 4)
        {
            // Even lanes are distances, odd lanes ids; a partial last step masks the entries past size.
            uint bits = Vector256.LessThanOrEqual(Vector256.LoadUnsafe(ref first, (nuint)(2 * i)), dv).ExtractMostSignificantBits() & 0x55u;
            int left = size - i;
            if (left < 4)
            {
                bits &= (1u << (2 * left)) - 1;
            }

            count += BitOperations.PopCount(bits);
        }

        return count;
    }

    /// <summary>
    /// The same count by binary search without branches on the data (the pools of construction, ef 200): a data
    /// branch per step mispredicted about half the time, and the pool's insertions are most of a construction
    /// search's work besides its distances. The interval [lo, lo + n] always holds the answer; each step halves n.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int BranchlessPosition(ref Candidate pool, int size, float d)
    {
        if (size == 0)
        {
            return 0;
        }

        int lo = 0;
        int n = size;
        while (n > 1)
        {
            int half = n >> 1;
            // 0 or -1 from a compare (setcc), so the step is an and, not a jump.
            int take = -Unsafe.BitCast<bool, byte>(Unsafe.Add(ref pool, lo + half).Distance <= d);
            lo += half & take;
            n -= half;
        }

        return lo + Unsafe.BitCast<bool, byte>(Unsafe.Add(ref pool, lo).Distance <= d);
    }

    /// <summary>Moves <paramref name="count"/> pool entries from <paramref name="at"/> one place up.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ShiftUp(ref Candidate at, int count)
    {
        if (count > 16)
        {
            // Construction's pools (ef 200) move ~100 entries an insertion: a vectorized memmove, not 8 bytes a step.
            MemoryMarshal.CreateReadOnlySpan(ref at, count).CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref at, 1), count));
            return;
        }

        // A few dozen at most at search ef: a loop beats a memmove call.
        ref long entries = ref Unsafe.As<Candidate, long>(ref at);
        for (int j = count; j > 0; j--)
        {
            Unsafe.Add(ref entries, j) = Unsafe.Add(ref entries, j - 1);
        }
    }
}
