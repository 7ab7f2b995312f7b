namespace Mosaic.Index.Keyword;

/// <summary>One term's postings: document ordinals ascending with their term frequencies, in blocks of 128.</summary>
/// <remarks>
/// Each block keeps the largest tf and the smallest length norm of its postings: together they bound the score any
/// posting of the block can reach (BM25 grows with tf and shrinks with length), which lets the scorer skip whole
/// blocks. Postings of deleted documents stay until the index compacts: they only loosen the bounds.
/// Fields, not properties: the scorer reads them in its inner loop. Mutated only under the index's write lock.
/// </remarks>
internal sealed class TermPostings
{
    public const int BlockShift = 7;
    public const int BlockSize = 1 << BlockShift;

    internal int[] Docs = [];
    internal ushort[] Tfs = [];
    internal int Count;
    internal ushort[] BlockMaxTf = [];
    internal byte[] BlockMinNorm = [];
    internal ushort MaxTf;
    internal byte MinNorm = byte.MaxValue;

    /// <summary>Live documents holding the term (deleted ones excluded).</summary>
    internal int LiveDf;

    /// <summary>Starts a posting for <paramref name="doc"/> with tf 1; <see cref="Finish"/> seals it once the document's length is known.</summary>
    public void Append(int doc)
    {
        if (Count == Docs.Length)
        {
            int size = Math.Max(4, Count * 2);
            Array.Resize(ref Docs, size);
            Array.Resize(ref Tfs, size);
        }

        Docs[Count] = doc;
        Tfs[Count] = 1;
        Count++;
    }

    /// <summary>One more occurrence in the document of the last posting (tf saturates at 65,535).</summary>
    public void Bump()
    {
        ref ushort tf = ref Tfs[Count - 1];
        if (tf < ushort.MaxValue)
        {
            tf++;
        }
    }

    /// <summary>Seals the last posting: updates its block's bounds and the live document frequency.</summary>
    public void Finish(byte norm)
    {
        int i = Count - 1;
        int block = i >> BlockShift;
        if (block == BlockMaxTf.Length)
        {
            int size = Math.Max(1, block * 2);
            Array.Resize(ref BlockMaxTf, size);
            Array.Resize(ref BlockMinNorm, size);
        }

        if ((i & (BlockSize - 1)) == 0)
        {
            BlockMaxTf[block] = 0;
            BlockMinNorm[block] = byte.MaxValue;
        }

        ushort tf = Tfs[i];
        if (tf > BlockMaxTf[block])
        {
            BlockMaxTf[block] = tf;
        }

        if (norm < BlockMinNorm[block])
        {
            BlockMinNorm[block] = norm;
        }

        if (tf > MaxTf)
        {
            MaxTf = tf;
        }

        if (norm < MinNorm)
        {
            MinNorm = norm;
        }

        LiveDf++;
    }

    /// <summary>Index of the first posting at or after <paramref name="from"/> whose doc is ≥ <paramref name="target"/>; <see cref="Count"/> if none.</summary>
    public int Seek(int from, int target)
    {
        int count = Count;
        if (from >= count)
        {
            return count;
        }

        var docs = Docs;
        if (docs[from] >= target)
        {
            return from;
        }

        // Skip whole blocks by their last doc, then binary-search inside the block that holds the target.
        int block = from >> BlockShift;
        int end = Math.Min((block + 1) << BlockShift, count);
        while (docs[end - 1] < target)
        {
            block++;
            int start = block << BlockShift;
            if (start >= count)
            {
                return count;
            }

            from = start;
            end = Math.Min(start + BlockSize, count);
        }

        int found = docs.AsSpan(from, end - from).BinarySearch(target);
        return from + (found >= 0 ? found : ~found);
    }
}
