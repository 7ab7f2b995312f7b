using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Mosaic.Core.Collections;
using Mosaic.Index.Graph;
using Mosaic.Index.Kernels;

namespace Mosaic.Index;

/// <summary>Queries: approximate k-NN over the graph and exact k-NN over a given set of labels.</summary>
public sealed unsafe partial class HnswIndex
{
    private const int StackQueryFloats = 4096;

    /// <summary>
    /// Approximate k nearest neighbours of <paramref name="query"/>, best first; returns how many hits were written
    /// (at most min(k, results.Length)). <paramref name="ef"/> is raised to at least k. With a filter only allowed
    /// labels are returned, but traversal still walks through disallowed (and deleted) nodes.
    /// </summary>
    public int Search(ReadOnlySpan<float> query, int k, int ef, Span<VectorHit> results, ILabelFilter? filter = null)
    {
        ValidateVector(query, nameof(query));
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ThrowIfDisposed();
        k = Math.Min(k, results.Length);
        if (k == 0)
        {
            return 0;
        }

        ef = Math.Max(ef, k);
        if (_paddedDimension > StackQueryFloats)
        {
            fixed (float* heapQuery = new float[_paddedDimension])
            {
                return SearchPrepared(query, heapQuery, k, ef, results, filter);
            }
        }

        // 64-byte aligned, so no vector load of the query splits a cache line.
        float* buffer = stackalloc float[_paddedDimension + 16];
        return SearchPrepared(query, (float*)(((nint)buffer + 63) & ~(nint)63), k, ef, results, filter);
    }

    /// <summary>Brute force over <paramref name="labels"/> (unknown and deleted labels are skipped): the right tool when a filter leaves few candidates.</summary>
    public int ExactSearch(ReadOnlySpan<float> query, int k, ReadOnlySpan<long> labels, Span<VectorHit> results)
    {
        ValidateVector(query, nameof(query));
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ThrowIfDisposed();
        k = Math.Min(k, results.Length);
        if (k == 0 || labels.IsEmpty)
        {
            return 0;
        }

        if (_paddedDimension > StackQueryFloats)
        {
            fixed (float* heapQuery = new float[_paddedDimension])
            {
                return ExactSearchPrepared(query, heapQuery, k, labels, results);
            }
        }

        float* buffer = stackalloc float[_paddedDimension + 16];
        return ExactSearchPrepared(query, (float*)(((nint)buffer + 63) & ~(nint)63), k, labels, results);
    }

    private int ExactSearchPrepared(ReadOnlySpan<float> query, float* q, int k, ReadOnlySpan<long> labels, Span<VectorHit> results)
    {
        var scratch = SearchScratch.Current;
        scratch.EnsureResults(k + 1);
        ref Candidate heap = ref MemoryMarshal.GetArrayDataReference(scratch.Results);
        int count = 0;
        PrepareQuery(query, q);
        const int Batch = 256;
        Span<int> ids = stackalloc int[Batch];
        for (int start = 0; start < labels.Length; start += Batch)
        {
            var slice = labels.Slice(start, Math.Min(Batch, labels.Length - start));
            int found = 0;
            lock (_labelLock)
            {
                // The map only holds live labels; resolving in batches keeps writers waiting for microseconds only.
                foreach (long label in slice)
                {
                    if (_labels.TryGetValue(label, out int id))
                    {
                        ids[found++] = id;
                    }
                }
            }

            for (int i = 0; i < found; i++)
            {
                float d = Distance((float*)Node(ids[i]), q);
                if (count < k)
                {
                    CandidateHeap.PushMax(ref heap, ref count, d, ids[i]);
                }
                else if (d < heap.Distance)
                {
                    CandidateHeap.PopMax(ref heap, ref count);
                    CandidateHeap.PushMax(ref heap, ref count, d, ids[i]);
                }
            }
        }

        return WriteHits(ref heap, count, k, results);
    }

    private int SearchPrepared(ReadOnlySpan<float> query, float* q, int k, int ef, Span<VectorHit> results, ILabelFilter? filter)
    {
        PrepareQuery(query, q);
        bool restricted = filter is not null || Volatile.Read(ref _deletedCount) > 0;
        if (Metric == VectorMetric.L2)
        {
            return restricted
                ? SearchCore<SquaredL2, LiveNode>(q, k, ef, results, new LiveNode(filter))
                : SearchCore<SquaredL2, AnyNode>(q, k, ef, results, default);
        }

        return restricted
            ? SearchCore<NegativeDot, LiveNode>(q, k, ef, results, new LiveNode(filter))
            : SearchCore<NegativeDot, AnyNode>(q, k, ef, results, default);
    }

    private float Distance(float* a, float* b) => Metric == VectorMetric.L2
        ? SquaredL2.Distance(a, b, _paddedDimension)
        : NegativeDot.Distance(a, b, _paddedDimension);

    private void PrepareQuery(ReadOnlySpan<float> query, float* q)
    {
        query.CopyTo(new Span<float>(q, _dimension));
        new Span<float>(q + _dimension, _paddedDimension - _dimension).Clear();
        if (Metric == VectorMetric.Cosine)
        {
            Normalize(q, _dimension);
        }
    }

    // Fully optimized from the first call: no slow tier-0 phase at start-up or in short benchmarks.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int SearchCore<TDist, TFilter>(float* q, int k, int ef, Span<VectorHit> results, TFilter filter)
        where TDist : struct, IDistance
        where TFilter : struct, INodeFilter
    {
        long entry = Volatile.Read(ref _entry);
        if (entry < 0)
        {
            return 0;
        }

        var scratch = SearchScratch.Current;
        int limit = (int)Math.Min(_nodes.Capacity, int.MaxValue);
        int ep = (int)entry;
        float epDist = TDist.Distance(q, (float*)Node(ep), _paddedDimension);
        ep = GreedyDescend<TDist>(q, ep, ref epDist, (int)(entry >> 32), 0, limit);
        if (!TFilter.Restricts && UsePool)
        {
            int found = Math.Min(SearchLayerSorted<TDist>(scratch, q, ep, epDist, 0, ef, limit), k);
            for (int i = 0; i < found; i++)
            {
                Candidate c = scratch.Pool[i];
                results[i] = ToHit(c.Id & ~ExpandedBit, c.Distance);
            }

            return found;
        }

        int count = SearchLayer<TDist, TFilter>(scratch, q, ep, epDist, 0, ef, limit, filter);
        ref Candidate heap = ref MemoryMarshal.GetArrayDataReference(scratch.Results);
        while (count > k)
        {
            CandidateHeap.PopMax(ref heap, ref count);
        }

        return WriteHits(ref heap, count, k, results);
    }

    /// <summary>Pops a max-heap of (distance, node) into <paramref name="results"/>, best first, as caller scores.</summary>
    private int WriteHits(ref Candidate heap, int count, int k, Span<VectorHit> results)
    {
        int n = Math.Min(count, k);
        while (count > n)
        {
            CandidateHeap.PopMax(ref heap, ref count);
        }

        for (int i = n - 1; i >= 0; i--)
        {
            Candidate top = heap;
            results[i] = ToHit(top.Id, top.Distance);
            CandidateHeap.PopMax(ref heap, ref count);
        }

        return n;
    }

    private VectorHit ToHit(int id, float distance)
    {
        long label = *(long*)(Node(id) + _headerOffset + NodeLayout.LabelOffset);
        float score = Metric == VectorMetric.L2 ? -MathF.Sqrt(Math.Max(distance, 0f)) : -distance;
        return new VectorHit(label, score);
    }

    /// <summary>Greedy walk from <paramref name="level"/> down to <paramref name="stopLevel"/> + 1 (hnswlib's upper-layer descent).</summary>
    // Fully optimized from the first call: no slow tier-0 phase at start-up or in short benchmarks.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int GreedyDescend<TDist>(float* q, int current, ref float currentDist, int level, int stopLevel, int limit)
        where TDist : struct, IDistance
    {
        for (int l = level; l > stopLevel; l--)
        {
            bool changed = true;
            while (changed)
            {
                changed = false;
                int* links = UpperLinks(Node(current), l);
                int n = Math.Min(Volatile.Read(ref *links), _m);
                for (int j = 1; j <= n; j++)
                {
                    int nb = links[j];
                    if ((uint)nb >= (uint)limit)
                    {
                        continue;
                    }

                    float d = TDist.Distance(q, (float*)Node(nb), _paddedDimension);
                    if (d < currentDist)
                    {
                        currentDist = d;
                        current = nb;
                        changed = true;
                    }
                }
            }
        }

        return current;
    }

    /// <summary>
    /// Best-first search of one layer from <paramref name="ep"/> with a result set of <paramref name="ef"/>
    /// (hnswlib's searchBaseLayer / searchBaseLayerST). Leaves the results as a max-heap in scratch.Results and
    /// returns their count. Only nodes the filter allows enter the results; all nodes are expanded.
    /// </summary>
    // Fully optimized from the first call: no slow tier-0 phase at start-up or in short benchmarks.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    private int SearchLayer<TDist, TFilter>(SearchScratch scratch, float* q, int ep, float epDist, int level, int ef, int limit, TFilter filter)
        where TDist : struct, IDistance
        where TFilter : struct, INodeFilter
    {
        ushort tag = scratch.Begin(limit);
        scratch.EnsureResults(ef + 1);
        int maxLinks = level == 0 ? _maxM0 : _m;
        scratch.EnsurePending(maxLinks);
        ref ushort visited = ref MemoryMarshal.GetArrayDataReference(scratch.Visited);
        ref Candidate results = ref MemoryMarshal.GetArrayDataReference(scratch.Results);
        ref int pending = ref MemoryMarshal.GetArrayDataReference(scratch.Pending);
        ref nint pendingNodes = ref MemoryMarshal.GetArrayDataReference(scratch.PendingNodes);
        Candidate[] frontierArray = scratch.Frontier;
        ref Candidate frontier = ref MemoryMarshal.GetArrayDataReference(frontierArray);
        int frontierCount = 0, resultCount = 0;
        int dim = _paddedDimension;
        int headerOffset = _headerOffset;
        int vectorBytes = dim * sizeof(float);

        float lowerBound = float.MaxValue;
        byte* epNode = Node(ep);
        if (filter.Allows(epNode + headerOffset))
        {
            CandidateHeap.PushMax(ref results, ref resultCount, epDist, ep);
            lowerBound = epDist;
        }

        CandidateHeap.PushMin(ref frontier, ref frontierCount, epDist, ep);
        Unsafe.Add(ref visited, ep) = tag;

        while (frontierCount > 0)
        {
            Candidate current = frontier;
            if (current.Distance > lowerBound && (resultCount == ef || !TFilter.Restricts))
            {
                break;
            }

            CandidateHeap.PopMin(ref frontier, ref frontierCount);
            byte* node = Node(current.Id);
            int* links;
            int n;
            if (level == 0)
            {
                links = (int*)(node + _linksOffset);
                n = Volatile.Read(ref *(int*)(node + headerOffset));
            }
            else
            {
                int* block = UpperLinks(node, level);
                n = Volatile.Read(ref *block);
                links = block + 1;
            }

            if ((uint)n > (uint)maxLinks)
            {
                n = maxLinks;
            }

            // Pass 1: drop visited neighbours and prefetch the rest (see SearchLayerSorted).
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
                byte* p = Node(nb);
                Unsafe.Add(ref pending, fresh) = nb;
                Unsafe.Add(ref pendingNodes, fresh++) = (nint)p;
                if (Sse.IsSupported)
                {
                    for (int line = 0; line < vectorBytes; line += 64)
                    {
                        Sse.Prefetch0(p + line);
                    }
                }
            }

            for (int j = 0; j < fresh; j++)
            {
                int nb = Unsafe.Add(ref pending, j);
                byte* nbNode = (byte*)Unsafe.Add(ref pendingNodes, j);
                float d = TDist.Distance(q, (float*)nbNode, dim);
                if (resultCount < ef || d < lowerBound)
                {
                    if (frontierCount == frontierArray.Length)
                    {
                        scratch.GrowFrontier();
                        frontierArray = scratch.Frontier;
                        frontier = ref MemoryMarshal.GetArrayDataReference(frontierArray);
                    }

                    CandidateHeap.PushMin(ref frontier, ref frontierCount, d, nb);
                    if (filter.Allows(nbNode + headerOffset))
                    {
                        CandidateHeap.PushMax(ref results, ref resultCount, d, nb);
                        if (resultCount > ef)
                        {
                            CandidateHeap.PopMax(ref results, ref resultCount);
                        }
                    }

                    if (resultCount > 0)
                    {
                        lowerBound = results.Distance;
                    }
                }
            }

            if (frontierCount > 0 && level == 0 && Sse.IsSupported)
            {
                // The next node to expand: its link list (the lines after its vector) is read next.
                byte* next = Node(frontier.Id) + headerOffset;
                Sse.Prefetch0(next);
                Sse.Prefetch0(next + 64);
            }
        }

        return resultCount;
    }
}
