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
    /// labels are returned, but traversal still walks through disallowed (and deleted) nodes. A quantized index
    /// rescores its best candidates on the vectors of <paramref name="source"/> (exact scores); without one its
    /// scores are approximate.
    /// </summary>
    public int Search(ReadOnlySpan<float> query, int k, int ef, Span<VectorHit> results, ILabelFilter? filter = null, IVectorSource? source = null)
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
            fixed (float* heapQuery = new float[_paddedDimension + 16])
            {
                return SearchPrepared(query, Align(heapQuery), k, ef, results, filter, source);
            }
        }

        // 64-byte aligned, so no vector load of the query splits a cache line.
        float* buffer = stackalloc float[_paddedDimension + 16];
        return SearchPrepared(query, Align(buffer), k, ef, results, filter, source);
    }

    /// <summary>Brute force over <paramref name="labels"/> (unknown and deleted labels are skipped): the right tool when a filter leaves few candidates.</summary>
    public int ExactSearch(ReadOnlySpan<float> query, int k, ReadOnlySpan<long> labels, Span<VectorHit> results, IVectorSource? source = null)
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
            fixed (float* heapQuery = new float[_paddedDimension + 16])
            {
                return ExactSearchPrepared(query, Align(heapQuery), k, labels, results, source);
            }
        }

        float* buffer = stackalloc float[_paddedDimension + 16];
        return ExactSearchPrepared(query, Align(buffer), k, labels, results, source);
    }

    private static float* Align(float* buffer) => (float*)(((nint)buffer + 63) & ~(nint)63);

    private int ExactSearchPrepared(ReadOnlySpan<float> query, float* q, int k, ReadOnlySpan<long> labels, Span<VectorHit> results, IVectorSource? source)
    {
        PrepareQuery(query, q);
        if (SearchPending(q, k, labels, null, results, out int pendingFound))
        {
            return pendingFound;
        }

        var scratch = SearchScratch.Current;
        byte* target = EncodeQuery(q, scratch, out float factor);
        // Without a walk there is no pool: a binary index keeps a generous 10k (at least 100) for rescoring.
        int keep = _codec is null ? k : Quantization == VectorQuantization.Binary ? Math.Max(10 * k, 100) : RescoreWindow(k, 0);
        scratch.EnsureResults(keep + 1);
        ref Candidate heap = ref MemoryMarshal.GetArrayDataReference(scratch.Results);
        int count = 0;
        bool bounded = BoundsPartialDistance;
        float queryTail = bounded && Metric == VectorMetric.Cosine ? MathF.Sqrt(VectorKernels.Dot(q + PartialFloats, q + PartialFloats, _paddedDimension - PartialFloats)) : 0;
        const int Batch = 256;
        Span<int> ids = stackalloc int[Batch];
        for (int start = 0; start < labels.Length; start += Batch)
        {
            var slice = labels.Slice(start, Math.Min(Batch, labels.Length - start));
            int found = 0;
            lock (_labelLock)
            {
                // The map only holds live labels; resolving in batches keeps writers waiting for microseconds only. A
                // hashed label's look-up misses twice (its slot, then the record whose label it compares), a dense one
                // (row ids) once, so the batch first asks for every entry, then, unless all are dense, for every home
                // record's header, and only then resolves: the misses overlap. (Dense entries left to the CPU to fetch
                // in order took 14 % of a filtered search at 1M against 4 % asked for first.)
                foreach (long label in slice)
                {
                    _labels.PrefetchHome(label);
                }

                if (!_labels.AllDense)
                {
                    foreach (long label in slice)
                    {
                        int home = _labels.HomeId(label);
                        if (home >= 0)
                        {
                            PrefetchLines(Header(home), NodeLayout.HeaderBytes);
                        }
                    }
                }

                foreach (long label in slice)
                {
                    if (_labels.TryGetValue(label, out int id))
                    {
                        ids[found++] = id;
                    }
                }
            }

            if (bounded)
            {
                ScoreBounded(ids[..found], target, ref heap, ref count, keep, queryTail);
                continue;
            }

            Score(ids[..found], 0, 4, target, ref heap, ref count, keep);
        }

        count = HeapToPool(scratch, count);
        return Finish(scratch, q, target, count, k, keep, factor, results, null, source);
    }

    /// <summary>Tests turn the exact scan's bounds off to compare its answers with and without them.</summary>
    internal static bool BoundExactScan { get; set; } = true;

    /// <summary>Floats of a stored vector read before the exact scan decides whether it needs the rest: whole lines, about half.</summary>
    private int PartialFloats => (_paddedDimension / 2) & ~(VectorKernels.Padding - 1);

    /// <summary>
    /// Whether the exact scan can bound a float vector's distance from its first <see cref="PartialFloats"/> floats: L2
    /// (the partial sum is a lower bound), or cosine (stored vectors are unit length, so the rest has norm at most
    /// sqrt(1 - |head|²) and Cauchy-Schwarz bounds its dot). Not for dot product (norms unknown) nor quantized codes.
    /// </summary>
    private bool BoundsPartialDistance => BoundExactScan && _codec is null && _paddedDimension >= 2 * VectorKernels.Padding && Metric is VectorMetric.L2 or VectorMetric.Cosine;

    /// <summary>
    /// Exact distances of <paramref name="ids"/> into the max-heap of the best <paramref name="keep"/>, reading only the
    /// first half of each vector for those whose bound from it cannot beat the heap's worst; the rest of the vector is
    /// read for the others only (<paramref name="ids"/> is overwritten).
    /// </summary>
    /// <remarks>
    /// Rows of a filtered scan lie at random in memory: each float 128-d vector costs 8 cache misses, most of a row's
    /// cost at 1M rows. Most rows of a scan are far from the query, and their first half proves it, so the second half
    /// of their lines is never fetched (bench/README.md, sixth sitting). The bound is loosened by a margin well above the
    /// rounding of float sums, and every survivor is scored on its whole vector by the same kernel as without bounds, so
    /// the answer and its scores are those of the full scan.
    /// </remarks>
    private void ScoreBounded(Span<int> ids, byte* target, ref Candidate heap, ref int count, int keep, float queryTail)
    {
        const int Ahead = 8;
        int head = PartialFloats;
        int headBytes = head * sizeof(float);
        float* q = (float*)target;
        bool cosine = Metric == VectorMetric.Cosine;
        for (int i = 0; i < Math.Min(Ahead, ids.Length); i++)
        {
            PrefetchLines(Vector(ids[i]), headBytes);
        }

        int survivors = 0;
        for (int i = 0; i < ids.Length; i++)
        {
            if (i + Ahead < ids.Length)
            {
                PrefetchLines(Vector(ids[i + Ahead]), headBytes);
            }

            int id = ids[i];
            float* v = (float*)Vector(id);
            if (count == keep)
            {
                float bound = cosine
                    ? -(VectorKernels.Dot(v, q, head) + (queryTail * MathF.Sqrt(Math.Max(0f, 1.001f - VectorKernels.Dot(v, v, head))))) - 1e-3f
                    : VectorKernels.L2Squared(v, q, head) * (1f - 1e-4f);
                if (bound >= heap.Distance)
                {
                    continue;
                }
            }

            ids[survivors++] = id;
        }

        // The survivors' remaining lines.
        Score(ids[..survivors], headBytes, Ahead, target, ref heap, ref count, keep);
    }

    /// <summary>Exact distances of <paramref name="ids"/> into the max-heap of the best <paramref name="keep"/>, the lines
    /// of each vector from byte <paramref name="skipBytes"/> on (those before are loaded already) fetched
    /// <paramref name="ahead"/> rows ahead.</summary>
    private void Score(ReadOnlySpan<int> ids, int skipBytes, int ahead, byte* target, ref Candidate heap, ref int count, int keep)
    {
        for (int i = 0; i < Math.Min(ahead, ids.Length); i++)
        {
            PrefetchLines(Vector(ids[i]) + skipBytes, _prefetchBytes - skipBytes);
        }

        for (int i = 0; i < ids.Length; i++)
        {
            if (i + ahead < ids.Length)
            {
                PrefetchLines(Vector(ids[i + ahead]) + skipBytes, _prefetchBytes - skipBytes);
            }

            float d = StoredDistance(Vector(ids[i]), target);
            if (count < keep)
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

    private int SearchPrepared(ReadOnlySpan<float> query, float* q, int k, int ef, Span<VectorHit> results, ILabelFilter? filter, IVectorSource? source)
    {
        PrepareQuery(query, q);
        if (SearchPending(q, k, default, filter, results, out int pendingFound))
        {
            return pendingFound;
        }

        var scratch = SearchScratch.Current;
        byte* target = EncodeQuery(q, scratch, out float factor);
        bool restricted = filter is not null || Volatile.Read(ref _deletedCount) > 0;
        var live = new LiveNode(filter);
        int found = _kind switch
        {
            DistanceKind.FloatL2 => restricted ? SearchCore<SquaredL2, LiveNode>(scratch, target, k, ef, live) : SearchCore<SquaredL2, AnyNode>(scratch, target, k, ef, default),
            DistanceKind.FloatDot => restricted ? SearchCore<NegativeDot, LiveNode>(scratch, target, k, ef, live) : SearchCore<NegativeDot, AnyNode>(scratch, target, k, ef, default),
            DistanceKind.Int8L2 => restricted ? SearchCore<Int8SquaredL2, LiveNode>(scratch, target, k, ef, live) : SearchCore<Int8SquaredL2, AnyNode>(scratch, target, k, ef, default),
            DistanceKind.Int8Dot when AvxVnni.IsSupported => restricted ? SearchCore<Int8BiasedNegativeDot, LiveNode>(scratch, target, k, ef, live) : SearchCore<Int8BiasedNegativeDot, AnyNode>(scratch, target, k, ef, default),
            DistanceKind.Int8Dot => restricted ? SearchCore<Int8NegativeDot, LiveNode>(scratch, target, k, ef, live) : SearchCore<Int8NegativeDot, AnyNode>(scratch, target, k, ef, default),
            _ => restricted ? SearchCore<BinaryQuery, LiveNode>(scratch, target, k, ef, live) : SearchCore<BinaryQuery, AnyNode>(scratch, target, k, ef, default),
        };
        return Finish(scratch, q, target, found, k, RescoreWindow(k, ef), factor, results, filter, source);
    }

    /// <summary>Distance between a stored record and a prepared query (float or code), in the graph's units.</summary>
    private float StoredDistance(byte* node, byte* target) => _kind switch
    {
        DistanceKind.FloatL2 => SquaredL2.Distance(node, target, _distanceLength),
        DistanceKind.FloatDot => NegativeDot.Distance(node, target, _distanceLength),
        DistanceKind.Int8L2 => Int8SquaredL2.Distance(node, target, _distanceLength),
        DistanceKind.Int8Dot => Int8NegativeDot.Distance(node, target, _distanceLength),
        _ => BinaryQuery.Distance(target, node, _distanceLength),
    };

    /// <summary>Full-precision distance (both padded floats, or an unpadded tail that is zero in the query).</summary>
    private float FloatDistance(float* a, float* b, int n) => Metric == VectorMetric.L2
        ? VectorKernels.L2Squared(a, b, n)
        : -VectorKernels.Dot(a, b, n);

    private void PrepareQuery(ReadOnlySpan<float> query, float* q)
    {
        query.CopyTo(new Span<float>(q, _dimension));
        new Span<float>(q + _dimension, _paddedDimension - _dimension).Clear();
        if (Metric == VectorMetric.Cosine)
        {
            Normalize(q, _dimension);
        }
    }

    /// <summary>
    /// Walks the graph; leaves the best candidates sorted ascending in scratch.Pool (plain ids) and returns how many.
    /// Restricted searches run on the single pool too, collecting the allowed nodes they meet on the side; only when
    /// fewer than k turn up (a selective filter) does the two-heap search run, which keeps expanding until it holds ef.
    /// </summary>
    // Fully optimized from the first call: no slow tier-0 phase at start-up or in short benchmarks.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int SearchCore<TDist, TFilter>(SearchScratch scratch, byte* q, int k, int ef, TFilter filter)
        where TDist : struct, IDistance
        where TFilter : struct, INodeFilter
    {
        long entry = Volatile.Read(ref _entry);
        if (entry < 0)
        {
            return 0;
        }

        int limit = (int)Math.Min(_nodes.Capacity, int.MaxValue);
        int ep = (int)entry;
        float epDist = TDist.Distance(q, Vector(ep), _distanceLength);
        ep = GreedyDescend<TDist>(q, ep, ref epDist, (int)(entry >> 32), 0, limit);
        if (UsePool)
        {
            int size = SearchLayerSorted<TDist, TFilter>(scratch, q, ep, epDist, 0, ef, limit, -1, filter, out int allowed);
            if (!TFilter.Restricts)
            {
                for (int i = 0; i < size; i++)
                {
                    scratch.Pool[i].Id &= ~ExpandedBit;
                }

                return size;
            }

            if (allowed >= k)
            {
                return HeapToPool(scratch, allowed);
            }
        }

        int count = SearchLayer<TDist, TFilter>(scratch, q, ep, epDist, 0, ef, limit, filter);
        return HeapToPool(scratch, count);
    }

    /// <summary>Moves the max-heap in scratch.Results into scratch.Pool, sorted ascending.</summary>
    private static int HeapToPool(SearchScratch scratch, int count)
    {
        scratch.EnsurePool(count + 1);
        ref Candidate heap = ref MemoryMarshal.GetArrayDataReference(scratch.Results);
        int n = count;
        for (int i = n - 1; i >= 0; i--)
        {
            scratch.Pool[i] = heap;
            CandidateHeap.PopMax(ref heap, ref count);
        }

        return n;
    }

    /// <summary>
    /// Writes the best k of the sorted candidates as hits, re-reading each record when the hit is written: a record
    /// tombstoned meanwhile is dropped, and since a tombstone's record may be reused for another label during a
    /// search (HnswIndex.Reclaim.cs), the label is read once, checked against the filter and scored on the vector
    /// that is there now, then the hits are re-sorted. A quantized index with a source scores on full-precision
    /// vectors instead (rescoring; exact scores).
    /// </summary>
    private int Finish(SearchScratch scratch, float* q, byte* target, int found, int k, int rescoreWindow, float factor, Span<VectorHit> results, ILabelFilter? filter, IVectorSource? source)
    {
        bool rescore = _codec is not null && source is not null;
        int want = rescore ? rescoreWindow : k;
        VectorHit[] hits = scratch.Hits(Math.Min(found, want));
        int n = 0;
        for (int i = 0; i < found && n < want; i++)
        {
            int id = scratch.Pool[i].Id;
            byte* node = Vector(id);
            byte* header = Header(id);
            if (NodeLayout.IsDeleted(header))
            {
                continue;
            }

            long label = NodeLayout.Label(header);
            if (filter is not null && !filter.Allows(label))
            {
                continue;
            }

            if (rescore)
            {
                // The first k rows are read whatever the bounds say; start loading them now.
                if (n < k)
                {
                    PrefetchRow(source!, label);
                }

                // Score holds the lower bound of the true distance until rescoring.
                hits[n++] = new VectorHit(label, LowerBound(node, target, scratch.Pool[i].Distance));
                continue;
            }

            // Score holds the distance until the sort.
            hits[n++] = new VectorHit(label, StoredDistance(node, target) * factor);
        }

        if (rescore)
        {
            n = Rescore(scratch, q, hits, n, k, source!);
        }

        var kept = hits.AsSpan(0, n);
        SortByScore(kept);
        n = Math.Min(n, k);
        for (int i = 0; i < n; i++)
        {
            results[i] = new VectorHit(kept[i].Label, ToScore(kept[i].Score));
        }

        return n;
    }

    /// <summary>
    /// A distance the candidate's true distance is above (with RaBitQ's high probability): a binary code's estimate
    /// minus its error bound; minus infinity for int8 (always rescored).
    /// </summary>
    private float LowerBound(byte* node, byte* target, float estimate) => Quantization == VectorQuantization.Binary
        ? estimate - (((float*)target)[5] * ((float*)(node + (_distanceLength * sizeof(ulong))))[3])
        : float.NegativeInfinity;

    /// <summary>
    /// Scores the candidates (Score = lower bound of the distance) on full-precision vectors, in place where the
    /// source holds them in memory, skipping those whose lower bound is already worse than the k-th exact distance
    /// found (RaBitQ's re-ranking: at 10k x 384 most of the window is never read); drops those gone from the source.
    /// </summary>
    private int Rescore(SearchScratch scratch, float* q, VectorHit[] hits, int count, int k, IVectorSource source)
    {
        float* v = null;
        int kept = 0;
        float[] best = scratch.Best(k);
        int filled = 0;

        // Rows in flight ahead of the one scored. int8 has no bounds, so every row of the window is read: keep k
        // loading (Finish started the first k); binary skips most rows, so only the next one.
        int ahead = Quantization == VectorQuantization.Int8 ? k : 1;
        for (int i = 0; i < count; i++)
        {
            long label = hits[i].Label;
            if (filled == k && hits[i].Score > best[k - 1])
            {
                continue;
            }

            if (i + ahead < count)
            {
                PrefetchRow(source, hits[i + ahead].Label);
            }

            float d;
            if (Metric != VectorMetric.Cosine && source.TryPeek(label, out var row) && row.Length == _dimension)
            {
                fixed (float* r = row)
                {
                    // The query's padding is zero, so the unpadded row gives the same distance.
                    d = FloatDistance(q, r, _dimension);
                }
            }
            else
            {
                if (v is null)
                {
                    v = scratch.RescoreVector(_paddedDimension);
                    new Span<float>(v, _paddedDimension).Clear();
                }

                if (!source.TryRead(label, new Span<float>(v, _dimension)))
                {
                    continue;
                }

                if (Metric == VectorMetric.Cosine)
                {
                    Normalize(v, _dimension);
                }

                d = FloatDistance(q, v, _paddedDimension);
            }

            hits[kept++] = new VectorHit(label, d);

            // Insert into the k best exact distances so far (ascending).
            int at;
            if (filled < k)
            {
                at = filled++;
            }
            else if (d < best[k - 1])
            {
                at = k - 1;
            }
            else
            {
                continue;
            }

            while (at > 0 && best[at - 1] > d)
            {
                best[at] = best[at - 1];
                at--;
            }

            best[at] = d;
        }

        return kept;
    }

    /// <summary>Starts loading the lines of a candidate's row (the first 512 bytes) while the next candidates are collected (a hint: nothing is read).</summary>
    /// <remarks>
    /// Every line the bytes touch: a row need not start on a line (a managed array's rows sit 16 bytes past one), and
    /// then 512 bytes span nine lines, the last of which a loop over the row's own offsets never asked for.
    /// </remarks>
    private void PrefetchRow(IVectorSource source, long label)
    {
        if (Sse.IsSupported && Metric != VectorMetric.Cosine && source.TryPeek(label, out var row) && !row.IsEmpty)
        {
            byte* p = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(row));
            byte* end = p + Math.Min(row.Length * sizeof(float), 512);
            for (byte* line = (byte*)((nint)p & ~(nint)63); line < end; line += 64)
            {
                Sse.Prefetch0(line);
            }
        }
    }

    /// <summary>Ascending by Score: by insertion for the few dozen hits a search finishes.</summary>
    private static void SortByScore(Span<VectorHit> hits)
    {
        if (hits.Length > 64)
        {
            hits.Sort(static (a, b) => a.Score.CompareTo(b.Score));
            return;
        }

        SmallSort.Ascending<VectorHit, SmallSort.ByScore>(hits);
    }

    private float ToScore(float distance) => Metric == VectorMetric.L2 ? -MathF.Sqrt(Math.Max(distance, 0f)) : -distance;

    /// <summary>Greedy walk from <paramref name="level"/> down to <paramref name="stopLevel"/> + 1 (hnswlib's upper-layer descent).</summary>
    // Fully optimized from the first call: no slow tier-0 phase at start-up or in short benchmarks.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int GreedyDescend<TDist>(byte* q, int current, ref float currentDist, int level, int stopLevel, int limit)
        where TDist : struct, IDistance
    {
        for (int l = level; l > stopLevel; l--)
        {
            bool changed = true;
            while (changed)
            {
                changed = false;
                int* links = UpperLinks(Header(current), l);
                int n = Math.Min(Volatile.Read(ref *links), _m);

                // All neighbours' lines first, so their misses overlap (the upper layers are sparse: nearly every
                // record is a miss; at 100k x 128 the descent was ~11 % of a query's CPU, one miss after another).
                for (int j = 1; j <= n; j++)
                {
                    if ((uint)links[j] < (uint)limit)
                    {
                        PrefetchLines(Vector(links[j]), _prefetchBytes);
                    }
                }

                for (int j = 1; j <= n; j++)
                {
                    int nb = links[j];
                    if ((uint)nb >= (uint)limit)
                    {
                        continue;
                    }

                    float d = TDist.Distance(q, Vector(nb), _distanceLength);
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
    private int SearchLayer<TDist, TFilter>(SearchScratch scratch, byte* q, int ep, float epDist, int level, int ef, int limit, TFilter filter)
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
        int dim = _distanceLength;
        int vectorBytes = _prefetchBytes;

        float lowerBound = float.MaxValue;
        if (filter.Allows(Header(ep)))
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
            byte* header = Header(current.Id);
            int* links;
            int n;
            if (level == 0)
            {
                links = Links0(current.Id);
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
                byte* p = Vector(nb);
                Unsafe.Add(ref pending, fresh) = nb;
                Unsafe.Add(ref pendingNodes, fresh++) = (nint)p;
                PrefetchLines(p, vectorBytes);
            }

            for (int j = 0; j < fresh; j++)
            {
                int nb = Unsafe.Add(ref pending, j);
                byte* nbNode = (byte*)Unsafe.Add(ref pendingNodes, j);
                float d = TDist.Distance(q, nbNode, dim);
                if (resultCount < ef || d < lowerBound)
                {
                    if (frontierCount == frontierArray.Length)
                    {
                        scratch.GrowFrontier();
                        frontierArray = scratch.Frontier;
                        frontier = ref MemoryMarshal.GetArrayDataReference(frontierArray);
                    }

                    CandidateHeap.PushMin(ref frontier, ref frontierCount, d, nb);
                    if (filter.Allows(Header(nb)))
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
                PrefetchLinks(frontier.Id);
            }
        }

        return resultCount;
    }
}
