namespace Mosaic.Index.Keyword;

/// <summary>Per-thread working arrays of a keyword search, so that a search allocates nothing once warm.</summary>
/// <remarks>Index i is the i-th matched query term in scoring order (ascending upper bound). Fields: hot-loop reads.</remarks>
internal sealed class KeywordScratch
{
    [ThreadStatic]
    private static KeywordScratch? t_current;

    internal TermPostings[] Lists = new TermPostings[8];
    internal int[] Pos = new int[8];
    internal int[] QueryIndex = new int[8];
    internal float[] Weight = new float[8];
    internal float[] Bound = new float[8];
    internal float[] Prefix = new float[8];
    internal int[] Block = new int[8];
    internal int[] BlockLast = new int[8];
    internal float[] BlockBound = new float[8];
    internal float[] Contrib = new float[8];
    internal readonly float[] Norms = new float[256];
    internal float[] HeapScore = new float[16];
    internal long[] HeapLabel = new long[16];

    public static KeywordScratch Current => t_current ??= new KeywordScratch();

    public void EnsureTerms(int n)
    {
        if (n <= Lists.Length)
        {
            return;
        }

        Array.Resize(ref Lists, n);
        Array.Resize(ref Pos, n);
        Array.Resize(ref QueryIndex, n);
        Array.Resize(ref Weight, n);
        Array.Resize(ref Bound, n);
        Array.Resize(ref Prefix, n);
        Array.Resize(ref Block, n);
        Array.Resize(ref BlockLast, n);
        Array.Resize(ref BlockBound, n);
        Array.Resize(ref Contrib, n);
    }

    public void EnsureK(int k)
    {
        if (k > HeapScore.Length)
        {
            HeapScore = new float[k];
            HeapLabel = new long[k];
        }
    }
}
