using System.Buffers;
using Mosaic.Index.Graph;
using Mosaic.Index.Kernels;

namespace Mosaic.Index;

/// <summary>After a parallel build: every live node is reachable at level 0 from the entry point.</summary>
/// <remarks>
/// A node's in-links are its neighbours' back links, and a neighbour whose list is full re-prunes it with the heuristic
/// when a later node links in; a node pruned out of every list is unreachable, so a search for its own vector misses it.
/// A serial build on the same data keeps that rare enough that the tests never met it, but the order in which
/// concurrent inserts prune each other's lists is not a serial order, and under contention 1-2 of 80,000 nodes ended
/// up with no in-link (ParallelBuildReachabilityTests, at load average 20-35). So once the builders are done, every live
/// node a level-0 walk from the entry point cannot reach gets a link from the first of its own neighbours that is
/// reachable and can take it: a free slot, or the slot of that neighbour's farthest link whose node is linked from
/// elsewhere too (so no other node loses its only link in its place).
/// </remarks>
public sealed unsafe partial class HnswIndex
{
    /// <summary>Links in every unreachable node among the first <paramref name="nodes"/> records (write lock held; readers may search).</summary>
    private void LinkOrphans(int nodes)
    {
        switch (_kind)
        {
            case DistanceKind.FloatL2: LinkOrphans<SquaredL2>(nodes); break;
            case DistanceKind.FloatDot: LinkOrphans<NegativeDot>(nodes); break;
            case DistanceKind.Int8L2: LinkOrphans<Int8SquaredL2>(nodes); break;
            case DistanceKind.Int8Dot: LinkOrphans<Int8NegativeDot>(nodes); break;
            default: LinkOrphans<Hamming>(nodes); break;
        }
    }

    private void LinkOrphans<TDist>(int nodes)
        where TDist : struct, IDistance
    {
        long entry = Volatile.Read(ref _entry);
        if (entry < 0 || nodes < 2)
        {
            return;
        }

        int[] inDegree = ArrayPool<int>.Shared.Rent(nodes);
        int[] queue = ArrayPool<int>.Shared.Rent(nodes);
        bool[] reached = ArrayPool<bool>.Shared.Rent(nodes);
        try
        {
            Array.Clear(inDegree, 0, nodes);
            Array.Clear(reached, 0, nodes);
            for (int id = 0; id < nodes; id++)
            {
                int* links = Links0(id);
                int n = Math.Min(NodeLayout.Count((int*)Header(id)), _maxM0);
                for (int j = 0; j < n; j++)
                {
                    if ((uint)links[j] < (uint)nodes)
                    {
                        inDegree[links[j]]++;
                    }
                }
            }

            // What a level-0 walk can reach from the entry point (links in, not just a count of them: a few nodes
            // linking only to each other are as lost as one with none).
            Reach((int)entry, reached, queue, nodes);
            for (int id = 0; id < nodes; id++)
            {
                if (!reached[id] && !NodeLayout.IsDeleted(Header(id)) && LinkBack<TDist>(id, inDegree, reached, nodes))
                {
                    Reach(id, reached, queue, nodes);
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(inDegree);
            ArrayPool<int>.Shared.Return(queue);
            ArrayPool<bool>.Shared.Return(reached);
        }
    }

    /// <summary>Marks every node reachable at level 0 from <paramref name="start"/> (breadth first).</summary>
    private void Reach(int start, bool[] reached, int[] queue, int nodes)
    {
        int head = 0, tail = 0;
        reached[start] = true;
        queue[tail++] = start;
        while (head < tail)
        {
            int id = queue[head++];
            int* links = Links0(id);
            int n = Math.Min(NodeLayout.Count((int*)Header(id)), _maxM0);
            for (int j = 0; j < n; j++)
            {
                int next = links[j];
                if ((uint)next < (uint)nodes && !reached[next])
                {
                    reached[next] = true;
                    queue[tail++] = next;
                }
            }
        }
    }

    /// <summary>
    /// Adds a link to <paramref name="orphan"/> in the list of the first of its own neighbours that is reachable and can
    /// take one; false when none can.
    /// </summary>
    private bool LinkBack<TDist>(int orphan, int[] inDegree, bool[] reached, int nodes)
        where TDist : struct, IDistance
    {
        int* own = Links0(orphan);
        int ownCount = Math.Min(NodeLayout.Count((int*)Header(orphan)), _maxM0);
        for (int i = 0; i < ownCount; i++)
        {
            int host = own[i];
            if ((uint)host >= (uint)nodes || host == orphan || !reached[host])
            {
                continue;
            }

            byte* header = Header(host);
            byte* lockWord = NodeLayout.LockByte(header);
            int* links = Links0(host);
            LockNode(lockWord);
            try
            {
                int n = Math.Min(NodeLayout.Count((int*)header), _maxM0);
                if (n < _maxM0)
                {
                    links[n] = orphan;
                    NodeLayout.SetCount((int*)header, n + 1);
                }
                else if (FarthestReplaceable<TDist>(host, links, n, inDegree, nodes) is int slot and >= 0)
                {
                    inDegree[links[slot]]--;
                    Volatile.Write(ref links[slot], orphan);
                }
                else
                {
                    continue;
                }

                inDegree[orphan]++;
                return true;
            }
            finally
            {
                Volatile.Write(ref *lockWord, (byte)0);
            }
        }

        return false;
    }

    /// <summary>The slot of the farthest link in <paramref name="host"/>'s full list whose node is linked from elsewhere too; -1 when none is.</summary>
    private int FarthestReplaceable<TDist>(int host, int* links, int n, int[] inDegree, int nodes)
        where TDist : struct, IDistance
    {
        int slot = -1;
        float farthest = float.NegativeInfinity;
        for (int j = 0; j < n; j++)
        {
            int other = links[j];
            if ((uint)other < (uint)nodes && inDegree[other] >= 2)
            {
                float d = TDist.Distance(Vector(host), Vector(other), _distanceLength);
                if (d > farthest)
                {
                    farthest = d;
                    slot = j;
                }
            }
        }

        return slot;
    }
}
