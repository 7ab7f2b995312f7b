using System.Runtime.CompilerServices;

namespace Mosaic.Index.Graph;

/// <summary>A node id with its distance to the query (smaller is closer).</summary>
internal struct Candidate(float distance, int id)
{
    public float Distance = distance;
    public int Id = id;
}

/// <summary>Allocation-free binary heaps over a caller-owned <see cref="Candidate"/> buffer.</summary>
/// <remarks>Max-heaps hold the current best results (the worst on top, to evict); min-heaps the frontier to expand.</remarks>
internal static class CandidateHeap
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void PushMax(ref Candidate heap, ref int count, float distance, int id)
    {
        int i = count++;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            ref Candidate p = ref Unsafe.Add(ref heap, parent);
            if (p.Distance >= distance)
            {
                break;
            }

            Unsafe.Add(ref heap, i) = p;
            i = parent;
        }

        Unsafe.Add(ref heap, i) = new Candidate(distance, id);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void PopMax(ref Candidate heap, ref int count)
    {
        int n = --count;
        Candidate last = Unsafe.Add(ref heap, n);
        int i = 0;
        while (true)
        {
            int child = (2 * i) + 1;
            if (child >= n)
            {
                break;
            }

            if (child + 1 < n && Unsafe.Add(ref heap, child + 1).Distance > Unsafe.Add(ref heap, child).Distance)
            {
                child++;
            }

            if (Unsafe.Add(ref heap, child).Distance <= last.Distance)
            {
                break;
            }

            Unsafe.Add(ref heap, i) = Unsafe.Add(ref heap, child);
            i = child;
        }

        Unsafe.Add(ref heap, i) = last;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void PushMin(ref Candidate heap, ref int count, float distance, int id)
    {
        int i = count++;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            ref Candidate p = ref Unsafe.Add(ref heap, parent);
            if (p.Distance <= distance)
            {
                break;
            }

            Unsafe.Add(ref heap, i) = p;
            i = parent;
        }

        Unsafe.Add(ref heap, i) = new Candidate(distance, id);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void PopMin(ref Candidate heap, ref int count)
    {
        int n = --count;
        Candidate last = Unsafe.Add(ref heap, n);
        int i = 0;
        while (true)
        {
            int child = (2 * i) + 1;
            if (child >= n)
            {
                break;
            }

            if (child + 1 < n && Unsafe.Add(ref heap, child + 1).Distance < Unsafe.Add(ref heap, child).Distance)
            {
                child++;
            }

            if (Unsafe.Add(ref heap, child).Distance >= last.Distance)
            {
                break;
            }

            Unsafe.Add(ref heap, i) = Unsafe.Add(ref heap, child);
            i = child;
        }

        Unsafe.Add(ref heap, i) = last;
    }
}
