using Mosaic.Core.Collections;
using Mosaic.Index.Graph;
using Mosaic.Index.Kernels;

namespace Mosaic.Index;

/// <summary>Reusing tombstoned records for new inserts (the idea of hnswlib's replace_deleted, our own repair).</summary>
/// <remarks>
/// <para>Without it an index under steady updates grows by one record per update and drifts: tombstones pile up in
/// the graph, searches have to walk past them (and take the slower restricted path), snapshots carry them.</para>
/// <para>Reuse of slot s for a new vector, under the write lock: (1) write the new vector and label while s is still
/// flagged deleted, so no search returns it; (2) every neighbour that links back to s replaces that link by the
/// closest of s's other neighbours it does not link to yet: the path that ran through s's old position stays;
/// (3) link s like a fresh insert; its old out-links seed the search and are merged with the chosen neighbours,
/// pruned by the heuristic on distances to the new vector (SetOwnLinks); (4) clear the deleted flag. The level of s
/// is kept: tombstones are a random sample of nodes, so the level distribution is unchanged. The entry point is
/// never reused (a search would start from the node being rewritten).</para>
/// </remarks>
public sealed unsafe partial class HnswIndex
{
    // Tombstoned ids, most recent last (an update's own old record is reused first: its neighbourhood is the closest).
    private readonly List<int> _free = [];

    /// <summary>Takes a tombstoned record for <paramref name="label"/> and links it; -1 when there is none to take.</summary>
    private int TryReuse(long label, ReadOnlySpan<float> vector)
    {
        int entryId = (int)Volatile.Read(ref _entry);
        for (int i = _free.Count - 1; i >= 0 && i >= _free.Count - 2; i--)
        {
            int slot = _free[i];
            if (slot == entryId)
            {
                continue;
            }

            _free.RemoveAt(i);
            Reuse(slot, label, vector);
            return slot;
        }

        return -1;
    }

    private void Reuse(int slot, long label, ReadOnlySpan<float> vector)
    {
        byte* header = Header(slot);
        WriteVector(Vector(slot), vector);
        *(long*)(header + NodeLayout.LabelOffset) = label;
        switch (_kind)
        {
            case DistanceKind.FloatL2: Detach<SquaredL2>(slot); break;
            case DistanceKind.FloatDot: Detach<NegativeDot>(slot); break;
            case DistanceKind.Int8L2: Detach<Int8SquaredL2>(slot); break;
            case DistanceKind.Int8Dot: Detach<Int8NegativeDot>(slot); break;
            default: Detach<Hamming>(slot); break;
        }

        Insert(slot, concurrent: false);
        NodeLayout.SetDeleted(header, false);
        Interlocked.Decrement(ref _deletedCount);
    }

    /// <summary>Step (2): the neighbours of <paramref name="slot"/> that link back to it get a replacement link instead.</summary>
    private void Detach<TDist>(int slot)
        where TDist : struct, IDistance
    {
        byte* header = Header(slot);
        int level = LevelOf(header);
        int* old = stackalloc int[_maxM0];
        for (int l = 0; l <= level; l++)
        {
            int maxLinks = l == 0 ? _maxM0 : _m;
            int* countPtr = l == 0 ? (int*)header : UpperLinks(header, l);
            int* links = l == 0 ? Links0(slot) : countPtr + 1;
            int n = Math.Min(NodeLayout.Count(countPtr), maxLinks);
            new ReadOnlySpan<int>(links, n).CopyTo(new Span<int>(old, n));
            for (int j = 0; j < n; j++)
            {
                if (old[j] != slot)
                {
                    Patch<TDist>(old[j], slot, old, n, l, maxLinks);
                }
            }
        }
    }

    private void Patch<TDist>(int neighbour, int slot, int* candidates, int candidateCount, int level, int maxLinks)
        where TDist : struct, IDistance
    {
        byte* header = Header(neighbour);
        byte* nb = Vector(neighbour);
        byte* lockWord = NodeLayout.LockByte(header);
        int* countPtr = level == 0 ? (int*)header : UpperLinks(header, level);
        int* links = level == 0 ? Links0(neighbour) : countPtr + 1;
        LockNode(lockWord);
        try
        {
            int n = Math.Min(NodeLayout.Count(countPtr), maxLinks);
            int at = new ReadOnlySpan<int>(links, n).IndexOf(slot);
            if (at < 0)
            {
                return;
            }

            int best = -1;
            float bestDistance = float.MaxValue;
            for (int j = 0; j < candidateCount; j++)
            {
                int c = candidates[j];
                if (c == neighbour || c == slot || new ReadOnlySpan<int>(links, n).IndexOf(c) >= 0)
                {
                    continue;
                }

                float d = TDist.Distance(nb, Vector(c), _distanceLength);
                if (d < bestDistance)
                {
                    bestDistance = d;
                    best = c;
                }
            }

            if (best >= 0)
            {
                Volatile.Write(ref links[at], best);
            }
            else
            {
                // Nothing new to offer: drop the link (last one moves into its place).
                Volatile.Write(ref links[at], links[n - 1]);
                NodeLayout.SetCount(countPtr, n - 1);
            }
        }
        finally
        {
            Volatile.Write(ref *lockWord, (byte)0);
        }
    }
}
