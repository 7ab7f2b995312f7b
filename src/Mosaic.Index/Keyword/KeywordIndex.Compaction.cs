namespace Mosaic.Index.Keyword;

public sealed partial class KeywordIndex
{
    /// <summary>
    /// Rebuilds postings, forward lists and the dictionary from the live documents only, keeping their order (so
    /// ordinals stay ascending in every list). O(live postings); runs under the write lock.
    /// </summary>
    private void Compact()
    {
        var oldTerms = _terms;
        var oldText = _termText;
        int oldTermCount = _termCount;
        var labels = _labels;
        var lengths = _lengths;
        var deleted = _deleted;
        var fwdStart = _fwdStart;
        var fwdTerms = _fwdTerms;
        var fwdTfs = _fwdTfs;
        int oldOrds = _ordCount;

        Reset(Math.Max(1024, _termCount), Math.Max(1024, _liveCount * 2), Math.Max(4096, _fwdCount));
        var newId = new int[oldTermCount];
        for (int t = 0; t < oldTermCount; t++)
        {
            newId[t] = oldTerms[t].LiveDf > 0 ? NewTerm(oldText[t]) : -1;
        }

        for (int ord = 0; ord < oldOrds; ord++)
        {
            if ((deleted[ord >> 6] & (1UL << ord)) != 0)
            {
                continue;
            }

            int start = fwdStart[ord];
            int distinct = fwdStart[ord + 1] - start;
            for (int i = 0; i < distinct; i++)
            {
                fwdTerms[start + i] = newId[fwdTerms[start + i]];
            }

            AppendAnalyzed(labels[ord], lengths[ord], fwdTerms.AsSpan(start, distinct), fwdTfs.AsSpan(start, distinct));
        }
    }

    /// <summary>Empties the index, sized for what will be appended.</summary>
    private void Reset(int terms, int ords, int forward)
    {
        _termIds = new Dictionary<string, int>(terms, StringComparer.Ordinal);
        _termLookup = _termIds.GetAlternateLookup<ReadOnlySpan<char>>();
        _terms = new TermPostings[terms];
        _termText = new string[terms];
        _termCount = 0;
        _ordOf.Clear();
        _labels = new long[ords];
        _lengths = new int[ords];
        _norms = new byte[ords];
        _fwdStart = new int[ords + 1];
        _deleted = new ulong[(ords + 63) >> 6];
        _fwdTerms = new int[forward];
        _fwdTfs = new ushort[forward];
        _fwdCount = 0;
        _ordCount = 0;
        _deletedCount = 0;
        _liveCount = 0;
        _totalLength = 0;
    }

    /// <summary>Appends an already analysed document (distinct term ids with their tfs) as the next ordinal.</summary>
    private void AppendAnalyzed(long label, int length, ReadOnlySpan<int> termIds, ReadOnlySpan<ushort> tfs)
    {
        int ord = _ordCount;
        EnsureDocCapacity(ord + 1);
        EnsureForwardCapacity(_fwdCount + termIds.Length);
        byte norm = Bm25.EncodeLength(length);
        for (int i = 0; i < termIds.Length; i++)
        {
            var postings = _terms[termIds[i]];
            postings.Append(ord);
            postings.Tfs[postings.Count - 1] = tfs[i];
            postings.Finish(norm);
            _fwdTerms[_fwdCount] = termIds[i];
            _fwdTfs[_fwdCount] = tfs[i];
            _fwdCount++;
        }

        Publish(ord, label, length, norm);
    }
}
