using System.Runtime.CompilerServices;

namespace Mosaic.Index.Graph;

/// <summary>Per-thread buffers for graph searches: a generation-stamped visited array and the candidate heaps.</summary>
/// <remarks>
/// One per thread (not per index or per call), so a search allocates nothing. The visited array holds a 16-bit
/// generation per node (like hnswlib's VisitedList): starting a search bumps the generation instead of clearing,
/// and only every 65535th search pays for a clear. 16 bits rather than 32 keep it at 400 KB for 200k nodes, which
/// mostly stays in L2.
/// </remarks>
internal sealed unsafe class SearchScratch
{
    [ThreadStatic]
    private static SearchScratch? t_current;

    private ushort _tag;
    private byte[] _queryCode = [];
    private float[] _rescore = [];
    private VectorHit[] _hits = [];
    private float[] _best = [];

    public ushort[] Visited { get; private set; } = [];

    /// <summary>Frontier (min-heap) of the layer search; grows when a filtered search keeps expanding.</summary>
    public Candidate[] Frontier { get; private set; } = new Candidate[512];

    /// <summary>Best results so far (max-heap), at most ef + 1.</summary>
    public Candidate[] Results { get; private set; } = new Candidate[512];

    /// <summary>Sorted candidate pool of the unrestricted layer search.</summary>
    public Candidate[] Pool { get; private set; } = new Candidate[512];

    /// <summary>Neighbour selection work space (construction).</summary>
    public Candidate[] Work { get; private set; } = new Candidate[512];

    /// <summary>Second work space: the selected neighbours, and a neighbour's list being re-pruned.</summary>
    public Candidate[] Work2 { get; private set; } = new Candidate[512];

    /// <summary>Third work space: the list a full neighbour keeps after re-pruning.</summary>
    public Candidate[] Work3 { get; private set; } = new Candidate[512];

    /// <summary>Unvisited neighbour ids collected before their distances are computed.</summary>
    public int[] Pending { get; private set; } = new int[512];

    /// <summary>Record addresses of <see cref="Pending"/>, computed once per neighbour.</summary>
    public nint[] PendingNodes { get; private set; } = new nint[512];

    public static SearchScratch Current => t_current ??= new SearchScratch();

    /// <summary>A 64-byte aligned buffer of at least <paramref name="bytes"/> for the encoded query (pinned, so the address is stable).</summary>
    public byte* QueryCode(int bytes)
    {
        if (_queryCode.Length < bytes + 64)
        {
            _queryCode = GC.AllocateArray<byte>(bytes + 64, pinned: true);
        }

        return (byte*)(((nint)Unsafe.AsPointer(ref _queryCode[0]) + 63) & ~(nint)63);
    }

    /// <summary>The k best exact distances of a rescoring, at least <paramref name="size"/>.</summary>
    public float[] Best(int size)
    {
        if (_best.Length < size)
        {
            _best = new float[Math.Max(size, 64)];
        }

        return _best;
    }

    /// <summary>Hits being finished (label, distance until sorted), at least <paramref name="size"/>.</summary>
    public VectorHit[] Hits(int size)
    {
        if (_hits.Length < size)
        {
            _hits = new VectorHit[Math.Max(size, 64)];
        }

        return _hits;
    }

    /// <summary>A zeroed-tail buffer of <paramref name="floats"/> for one full-precision vector being rescored (pinned).</summary>
    public float* RescoreVector(int floats)
    {
        if (_rescore.Length < floats)
        {
            _rescore = GC.AllocateArray<float>(floats, pinned: true);
        }

        return (float*)Unsafe.AsPointer(ref _rescore[0]);
    }

    /// <summary>Starts a new search over ids below <paramref name="capacity"/>; returns the generation to stamp.</summary>
    public ushort Begin(long capacity)
    {
        if (Visited.Length < capacity)
        {
            Visited = new ushort[capacity];
            _tag = 0;
        }

        if (++_tag == 0)
        {
            Array.Clear(Visited);
            _tag = 1;
        }

        return _tag;
    }

    public void EnsureResults(int size)
    {
        if (Results.Length < size)
        {
            Results = new Candidate[size];
        }
    }

    public void EnsurePool(int size)
    {
        if (Pool.Length < size)
        {
            Pool = new Candidate[size];
        }
    }

    public void EnsureWork(int size)
    {
        if (Work.Length < size)
        {
            Work = new Candidate[size];
            Work2 = new Candidate[size];
            Work3 = new Candidate[size];
        }
    }

    public void EnsurePending(int size)
    {
        if (Pending.Length < size)
        {
            Pending = new int[size];
            PendingNodes = new nint[size];
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public void GrowFrontier()
    {
        var bigger = new Candidate[Frontier.Length * 2];
        Frontier.CopyTo(bigger, 0);
        Frontier = bigger;
    }
}
