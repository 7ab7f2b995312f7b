using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Mosaic.Core.Collections;
using Mosaic.Index.Graph;
using Mosaic.Index.Kernels;

namespace Mosaic.Index;

/// <summary>Insertion: hnswlib's addPoint with getNeighborsByHeuristic2, and the multi-threaded bulk build.</summary>
public sealed unsafe partial class HnswIndex
{
    /// <summary>
    /// Adds many vectors using <paramref name="threads"/> threads (per-node spin locks, like hnswlib's
    /// link_list_locks). <paramref name="vectorsRowMajor"/> holds labels.Length vectors of <see cref="Dimension"/>
    /// floats each. A label already present (or repeated in the batch) is replaced, the last one winning.
    /// </summary>
    public void AddParallel(ReadOnlySpan<long> labels, ReadOnlySpan<float> vectorsRowMajor, int threads)
    {
        if ((long)labels.Length * _dimension != vectorsRowMajor.Length)
        {
            throw new ArgumentException($"expected {labels.Length} x {_dimension} floats, got {vectorsRowMajor.Length}", nameof(vectorsRowMajor));
        }

        for (int i = 0; i < labels.Length; i++)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(labels[i], nameof(labels));
            ValidateVector(vectorsRowMajor.Slice(i * _dimension, _dimension), nameof(vectorsRowMajor));
        }

        if (labels.IsEmpty)
        {
            return;
        }

        threads = Math.Clamp(threads, 1, Environment.ProcessorCount * 4);
        lock (_writeLock)
        {
            ThrowIfDisposed();
            if (_pending is not null)
            {
                for (int i = 0; i < labels.Length; i++)
                {
                    AddPendingOnly(labels[i], vectorsRowMajor.Slice(i * _dimension, _dimension));
                }

                if (PendingCount >= TrainingSize)
                {
                    TrainAndInsertPending(threads);
                }

                return;
            }

            InsertBatch(labels, vectorsRowMajor, threads);
        }
    }

    /// <summary>The body of <see cref="AddParallel"/> (write lock held, index trained or float).</summary>
    private void InsertBatch(ReadOnlySpan<long> labels, ReadOnlySpan<float> vectorsRowMajor, int threads)
    {
        EnsureNodeCapacity(_nodeCount + (long)labels.Length);

        // Records first, in order and on this thread (labels and levels come out the same as a serial build);
        // a node still unlinked is valid for exact search and harmless to graph readers, who cannot reach it.
        int first = _nodeCount;
        for (int i = 0; i < labels.Length; i++)
        {
            ReplaceLabel(labels[i], -1);
            int id = ReserveNode(labels[i], vectorsRowMajor.Slice(i * _dimension, _dimension));
            ReplaceLabel(labels[i], id);
        }

        // While the graph is small, a node's list is most of what its construction search sees, and nodes inserted at
        // the same time cannot see each other: an early node could keep a list of one or two links that nothing later
        // repairs, and a search for its own vector missed it (ParallelBuildReachabilityTests failed about 1 run in 20; with
        // the first 32 alone, no miss in 8,000,000 searches where there had been 6).
        // So the first nodes of a graph go in one at a time, as hnswlib's bindings add the first point alone.
        int count = labels.Length;
        int serial = threads == 1 || count < 2 * threads ? count : Math.Clamp(SerialStartNodes - first, 0, count);
        for (int i = 0; i < serial; i++)
        {
            Insert(first + i, concurrent: false);
        }

        if (serial == count)
        {
            return;
        }

        int next = serial;
        Exception? failure = null;
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            workers[t] = new Thread(() =>
            {
                try
                {
                    int i;
                    while ((i = Interlocked.Increment(ref next) - 1) < count && Volatile.Read(ref failure) is null)
                    {
                        Insert(first + i, concurrent: true);
                    }
                }
                catch (Exception ex)
                {
                    Interlocked.CompareExchange(ref failure, ex, null);
                }
            })
            {
                IsBackground = true,
                Name = "hnsw-build-" + t,
            };
            workers[t].Start();
        }

        foreach (var worker in workers)
        {
            worker.Join();
        }

        if (failure is not null)
        {
            throw new InvalidOperationException("parallel build failed", failure);
        }

        LinkOrphans(first + count);
    }

    /// <summary>How many nodes a graph gets one at a time before a parallel build spreads inserts over threads.</summary>
    private const int SerialStartNodes = 32;

    private void Insert(int id, bool concurrent)
    {
        switch (_kind)
        {
            case DistanceKind.FloatL2: Insert<SquaredL2>(id, concurrent); break;
            case DistanceKind.FloatDot: Insert<NegativeDot>(id, concurrent); break;
            case DistanceKind.Int8L2: Insert<Int8SquaredL2>(id, concurrent); break;
            case DistanceKind.Int8Dot: Insert<Int8NegativeDot>(id, concurrent); break;
            default: Insert<Hamming>(id, concurrent); break;
        }
    }

    /// <summary>Links node <paramref name="id"/> (record already written) into the graph: hnswlib's addPoint.</summary>
    /// <remarks>
    /// With <paramref name="concurrent"/> (AddParallel), the node holds its own lock for its whole insertion and the
    /// construction searches read each expanded list under that node's lock, as hnswlib does. Otherwise an inserter
    /// could descend onto a node whose lower-level lists were not written yet, see only that node, link itself to it
    /// alone and lose that link when the node wrote its list: it ended up unreachable (ParallelBuildReachabilityTests).
    /// No deadlock: a node waits only on a node that is reachable at its current level, which finished (top-down)
    /// all levels above; the holder, connecting a lower level, never waits on it in return.
    /// Queries never lock: they tolerate a list being rewritten under them.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Insert<TDist>(int id, bool concurrent)
        where TDist : struct, IDistance
    {
        byte* ownLock = NodeLayout.LockByte(Header(id));
        if (concurrent)
        {
            LockNode(ownLock);
        }

        try
        {
            InsertLocked<TDist>(id, concurrent);
        }
        finally
        {
            if (concurrent)
            {
                Volatile.Write(ref *ownLock, (byte)0);
            }
        }
    }

    // Fully optimized from the first call: no slow tier-0 phase at start-up or in short benchmarks.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void InsertLocked<TDist>(int id, bool concurrent)
        where TDist : struct, IDistance
    {
        byte* v = Vector(id);
        int level = LevelOf(Header(id));
        long entry = Volatile.Read(ref _entry);
        if (entry < 0)
        {
            lock (_entryLock)
            {
                entry = _entry;
                if (entry < 0)
                {
                    Volatile.Write(ref _entry, ((long)level << 32) | (uint)id);
                    return;
                }
            }
        }

        // A node that raises the top level holds the entry lock for its whole insertion (as hnswlib does), so two
        // such nodes never race to become the entry point.
        bool ownsEntry = false;
        if (level > (int)(entry >> 32))
        {
            _entryLock.Enter();
            ownsEntry = true;
            entry = _entry;
        }

        try
        {
            int maxLevel = (int)(entry >> 32);
            int ep = (int)entry;
            int limit = (int)Math.Min(_nodes.Capacity, int.MaxValue);
            float epDist = TDist.Distance(v, Vector(ep), _distanceLength);
            if (level < maxLevel)
            {
                ep = GreedyDescend<TDist>(v, ep, ref epDist, maxLevel, level, limit);
            }

            var scratch = SearchScratch.Current;
            scratch.EnsureWork(Math.Max(_efConstruction, 3 * _m) + 2);
            for (int l = Math.Min(level, maxLevel); l >= 0; l--)
            {
                int found = SearchLayerSorted<TDist>(scratch, v, ep, epDist, l, _efConstruction, limit, concurrent ? id : -1);
                int kept = 0;
                for (int j = 0; j < found; j++)
                {
                    Candidate c = scratch.Pool[j];
                    c.Id &= ~ExpandedBit;
                    if (c.Id != id)
                    {
                        scratch.Work[kept++] = c;
                    }
                }

                Span<Candidate> sorted = scratch.Work.AsSpan(0, kept);
                int maxLinks = l == 0 ? _maxM0 : _m;
                int selected = SelectNeighbors<TDist>(sorted, _m, scratch.Work2);
                SetOwnLinks<TDist>(id, l, selected, maxLinks, scratch, lockHeld: concurrent);
                for (int j = 0; j < selected; j++)
                {
                    Connect<TDist>(scratch.Work2[j].Id, id, scratch.Work2[j].Distance, l, maxLinks, scratch);
                }

                if (selected > 0)
                {
                    ep = scratch.Work2[0].Id;
                    epDist = scratch.Work2[0].Distance;
                }
            }

            if (ownsEntry)
            {
                Volatile.Write(ref _entry, ((long)level << 32) | (uint)id);
            }
        }
        finally
        {
            if (ownsEntry)
            {
                _entryLock.Exit();
            }
        }
    }

    /// <summary>
    /// Writes the new node's own list at <paramref name="level"/> from scratch.Work2, under the node's lock, keeping
    /// back links that other threads added meanwhile.
    /// </summary>
    /// <remarks>
    /// In a parallel build another inserter can reach this node at this level before the node has written its list
    /// there (it descends to the node from a level above) and link itself in through <see cref="Connect"/>. A plain
    /// overwrite dropped that link and could leave the other node with no inbound link at all (unreachable; found by
    /// ParallelBuildReachabilityTests). hnswlib avoids it by holding the new node's lock for the whole insertion.
    /// </remarks>
    private void SetOwnLinks<TDist>(int id, int level, int selected, int maxLinks, SearchScratch scratch, bool lockHeld)
        where TDist : struct, IDistance
    {
        byte* header = Header(id);
        byte* node = Vector(id);
        byte* lockWord = NodeLayout.LockByte(header);
        int* countPtr = level == 0 ? (int*)header : UpperLinks(header, level);
        int* links = level == 0 ? Links0(id) : countPtr + 1;
        Candidate[] chosen = scratch.Work2;
        if (!lockHeld)
        {
            LockNode(lockWord);
        }

        try
        {
            int existing = Math.Min(NodeLayout.Count(countPtr), maxLinks);
            if (existing == 0)
            {
                for (int j = 0; j < selected; j++)
                {
                    links[j] = chosen[j].Id;
                }

                NodeLayout.SetCount(countPtr, selected);
                return;
            }

            // Union of the chosen neighbours and the back links already present, pruned by the heuristic if too many.
            Candidate[] work = scratch.Work3;
            int n = 0;
            for (int j = 0; j < selected; j++)
            {
                work[n++] = chosen[j];
            }

            for (int j = 0; j < existing; j++)
            {
                int other = links[j];
                bool duplicate = false;
                for (int i = 0; i < selected && !duplicate; i++)
                {
                    duplicate = chosen[i].Id == other;
                }

                if (!duplicate)
                {
                    work[n++] = new Candidate(TDist.Distance(node, Vector(other), _distanceLength), other);
                }
            }

            Span<Candidate> all = work.AsSpan(0, n);
            InsertionSort(all);
            int count = n;
            if (n > maxLinks)
            {
                Candidate[] kept = scratch.Work;
                count = SelectNeighbors<TDist>(all, maxLinks, kept);
                kept.AsSpan(0, count).CopyTo(work);
            }

            for (int j = 0; j < count; j++)
            {
                links[j] = work[j].Id;
            }

            NodeLayout.SetCount(countPtr, count);
        }
        finally
        {
            if (!lockHeld)
            {
                Volatile.Write(ref *lockWord, (byte)0);
            }
        }
    }

    /// <summary>
    /// hnswlib's getNeighborsByHeuristic2: walk the candidates closest first and keep one only if it is closer to
    /// the base than to every neighbour kept so far, up to <paramref name="max"/>. Keeps all when fewer than max.
    /// </summary>
    // Fully optimized from the first call: no slow tier-0 phase at start-up or in short benchmarks.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int SelectNeighbors<TDist>(ReadOnlySpan<Candidate> sorted, int max, Candidate[] output)
        where TDist : struct, IDistance
    {
        if (sorted.Length < max)
        {
            sorted.CopyTo(output);
            return sorted.Length;
        }

        int kept = 0;
        int dim = _distanceLength;
        for (int i = 0; i < sorted.Length && kept < max; i++)
        {
            Candidate c = sorted[i];
            byte* cv = Vector(c.Id);
            bool good = true;
            for (int j = 0; j < kept; j++)
            {
                if (TDist.Distance(cv, Vector(output[j].Id), dim) < c.Distance)
                {
                    good = false;
                    break;
                }
            }

            if (good)
            {
                output[kept++] = c;
            }
        }

        return kept;
    }

    /// <summary>Adds the back link <paramref name="target"/> → <paramref name="newId"/>, re-pruning the target's list with the heuristic when full.</summary>
    // Fully optimized from the first call: no slow tier-0 phase at start-up or in short benchmarks.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Connect<TDist>(int target, int newId, float distance, int level, int maxLinks, SearchScratch scratch)
        where TDist : struct, IDistance
    {
        byte* header = Header(target);
        byte* lockWord = NodeLayout.LockByte(header);
        int* countPtr = level == 0 ? (int*)header : UpperLinks(header, level);
        int* links = level == 0 ? Links0(target) : countPtr + 1;
        LockNode(lockWord);
        try
        {
            int n = Math.Min(NodeLayout.Count(countPtr), maxLinks);
            if (n < maxLinks)
            {
                links[n] = newId;
                NodeLayout.SetCount(countPtr, n + 1);
                return;
            }

            // Full: choose maxLinks among the current links plus the new one, by distance to the target.
            // The links are random nodes, mostly cache misses once the graph outgrows the caches: fetch all their
            // lines first so the misses overlap instead of coming one distance at a time.
            for (int j = 0; j < n; j++)
            {
                PrefetchLines(Vector(links[j]), _prefetchBytes);
            }

            Candidate[] work = scratch.Work;
            byte* tv = Vector(target);
            work[0] = new Candidate(distance, newId);
            for (int j = 0; j < n; j++)
            {
                int other = links[j];
                work[j + 1] = new Candidate(TDist.Distance(tv, Vector(other), _distanceLength), other);
            }

            Span<Candidate> candidates = work.AsSpan(0, n + 1);
            InsertionSort(candidates);
            Candidate[] kept = scratch.Work3;
            int selected = SelectNeighbors<TDist>(candidates, maxLinks, kept);
            for (int j = 0; j < selected; j++)
            {
                links[j] = kept[j].Id;
            }

            NodeLayout.SetCount(countPtr, selected);
        }
        finally
        {
            Volatile.Write(ref *lockWord, (byte)0);
        }
    }

    private static void InsertionSort(Span<Candidate> items) => SmallSort.Ascending<Candidate, SmallSort.ByDistance>(items);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LockNode(byte* lockWord)
    {
        if (Interlocked.CompareExchange(ref *lockWord, (byte)1, (byte)0) != 0)
        {
            LockNodeContended(lockWord);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void LockNodeContended(byte* lockWord)
    {
        // Spin, then yield, but never Sleep(1): the holder is mid-insertion (tens of microseconds), and a 1 ms sleep
        // per contended lock on an oversubscribed machine cost more than the parallelism gained.
        var spin = default(SpinWait);
        while (Volatile.Read(ref *lockWord) != 0 || Interlocked.CompareExchange(ref *lockWord, (byte)1, (byte)0) != 0)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }
}
