using Mosaic.Core.Search;

namespace Mosaic.Index.Keyword;

public sealed partial class KeywordIndex
{
    // Bounds are computed in float like the scores they bound; this slack covers the rounding of the two paths.
    private const float BoundSlack = 1.0001f;

    /// <summary>
    /// Top-k documents by BM25 for the query (OR of its terms), best first, written to <paramref name="results"/>.
    /// </summary>
    /// <param name="stats">Collection-wide statistics (see <see cref="KeywordStats"/>); null scores with this index's own.</param>
    /// <param name="filter">Only labels it allows are returned; null allows all.</param>
    /// <param name="ties">Order of labels with equal scores; null means smaller label first.</param>
    /// <returns>How many hits were written (at most k and <paramref name="results"/>' length).</returns>
    /// <remarks>
    /// MaxScore (Turtle and Flood 1995) with block-max bounds (Ding and Suel 2011): terms are ordered by their score
    /// bound; once the k-th best score exceeds the summed bounds of the cheapest terms, those terms stop producing
    /// candidates and are only probed for documents the others found. Runs of documents whose blocks' bounds cannot
    /// reach the k-th score are skipped a block at a time. The answer is exact: the same top-k as scoring every document.
    /// </remarks>
    public int Search(KeywordQuery query, KeywordStats? stats, int k, Span<VectorHit> results, ILabelFilter? filter = null, IComparer<long>? ties = null)
    {
        if (!BeginSearch(query, ref k, results.Length, out var s))
        {
            return 0;
        }

        try
        {
            int n = Prepare(query, stats, s);
            if (n == 0)
            {
                return 0;
            }

            var top = new TopHits(s.HeapScore.AsSpan(0, k), s.HeapLabel.AsSpan(0, k), ties);
            MaxScore(s, n, query.Terms.Count, ref top, filter);
            return top.Drain(results);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Top-k among the given labels only: for filters that allow few documents, where probing each beats walking postings.</summary>
    /// <remarks>Cost: labels × terms × log(df). A label the index does not hold, or that matches no term, is not a hit.</remarks>
    public int SearchAmong(KeywordQuery query, KeywordStats? stats, int k, ReadOnlySpan<long> labels, Span<VectorHit> results, IComparer<long>? ties = null)
    {
        if (!BeginSearch(query, ref k, results.Length, out var s))
        {
            return 0;
        }

        try
        {
            int n = Prepare(query, stats, s);
            var top = new TopHits(s.HeapScore.AsSpan(0, k), s.HeapLabel.AsSpan(0, k), ties);
            var contrib = s.Contrib.AsSpan(0, query.Terms.Count);
            foreach (long label in labels)
            {
                if (!_ordOf.TryGetValue(label, out int ord))
                {
                    continue;
                }

                contrib.Clear();
                bool matched = false;
                float norm = s.Norms[_norms[ord]];
                for (int i = 0; i < n; i++)
                {
                    var list = s.Lists[i];
                    int at = list.Docs.AsSpan(0, list.Count).BinarySearch(ord);
                    if (at >= 0)
                    {
                        contrib[s.QueryIndex[i]] = Bm25.TermScore(s.Weight[i], list.Tfs[at], norm);
                        matched = true;
                    }
                }

                if (matched)
                {
                    top.Offer(Sum(contrib), label);
                }
            }

            return top.Drain(results);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Validates, clamps k, takes the scratch and the read lock; false (no lock taken) when nothing can match.</summary>
    private bool BeginSearch(KeywordQuery query, ref int k, int capacity, out KeywordScratch scratch)
    {
        ArgumentNullException.ThrowIfNull(query);
        k = Math.Min(k, capacity);
        scratch = KeywordScratch.Current;
        if (k <= 0 || query.IsEmpty)
        {
            return false;
        }

        scratch.EnsureK(k);
        _lock.EnterReadLock();
        return true;
    }

    /// <summary>Looks up the query's terms, computes weights, bounds and the norm cache; returns how many terms match anything.</summary>
    private int Prepare(KeywordQuery query, KeywordStats? stats, KeywordScratch s)
    {
        long docCount = stats?.DocCount ?? _liveCount;
        long totalLength = stats?.TotalLength ?? _totalLength;
        float average = Bm25.AverageLength(docCount, totalLength);
        var norms = s.Norms;
        for (int i = 0; i < norms.Length; i++)
        {
            norms[i] = Bm25.Norm((byte)i, average);
        }

        int terms = query.Terms.Count;
        s.EnsureTerms(terms);
        int n = 0;
        for (int j = 0; j < terms; j++)
        {
            string term = query.Terms[j];
            if (!_termIds.TryGetValue(term, out int id) || _terms[id].LiveDf == 0)
            {
                continue;
            }

            var list = _terms[id];
            // Statistics gathered a moment before may lag a write that landed since: never below what this shard holds.
            long df = Math.Max(list.LiveDf, stats is not null && stats.DocFrequencies.TryGetValue(term, out long given) ? given : 0);
            long docs = Math.Max(docCount, df);
            float weight = query.Counts[j] * Bm25.Idf(docs, df);
            s.Lists[n] = list;
            s.Pos[n] = 0;
            s.QueryIndex[n] = j;
            s.Weight[n] = weight;
            s.Bound[n] = Bm25.TermScore(weight, list.MaxTf, norms[list.MinNorm]) * BoundSlack;
            s.Block[n] = -1;
            n++;
        }

        // Ascending bounds (insertion sort: a handful of terms).
        for (int i = 1; i < n; i++)
        {
            for (int j = i; j > 0 && s.Bound[j] < s.Bound[j - 1]; j--)
            {
                (s.Lists[j], s.Lists[j - 1]) = (s.Lists[j - 1], s.Lists[j]);
                (s.QueryIndex[j], s.QueryIndex[j - 1]) = (s.QueryIndex[j - 1], s.QueryIndex[j]);
                (s.Weight[j], s.Weight[j - 1]) = (s.Weight[j - 1], s.Weight[j]);
                (s.Bound[j], s.Bound[j - 1]) = (s.Bound[j - 1], s.Bound[j]);
            }
        }

        float sum = 0;
        for (int i = 0; i < n; i++)
        {
            sum += s.Bound[i];
            s.Prefix[i] = sum;
        }

        return n;
    }

    private void MaxScore(KeywordScratch s, int n, int queryTerms, ref TopHits top, ILabelFilter? filter)
    {
        const int End = int.MaxValue;
        var lists = s.Lists;
        var pos = s.Pos;
        var weight = s.Weight;
        var prefix = s.Prefix;
        var queryIndex = s.QueryIndex;
        var normCache = s.Norms;
        var contrib = s.Contrib.AsSpan(0, queryTerms);
        var docNorms = _norms;
        var labels = _labels;
        bool anyDeleted = _deletedCount > 0;
        int firstEssential = 0;
        float threshold = float.NegativeInfinity;
        while (true)
        {
            int doc = End;
            for (int i = firstEssential; i < n; i++)
            {
                var list = lists[i];
                int p = pos[i];
                if (p < list.Count && list.Docs[p] < doc)
                {
                    doc = list.Docs[p];
                }
            }

            if (doc == End)
            {
                return;
            }

            if (top.Full && SkipBlocks(s, n, firstEssential, threshold))
            {
                continue;
            }

            if ((anyDeleted && IsDeleted(doc)) || (filter is not null && !filter.Allows(labels[doc])))
            {
                for (int i = firstEssential; i < n; i++)
                {
                    var list = lists[i];
                    if (pos[i] < list.Count && list.Docs[pos[i]] == doc)
                    {
                        pos[i]++;
                    }
                }

                continue;
            }

            contrib.Clear();
            float norm = normCache[docNorms[doc]];
            float partial = 0;
            for (int i = firstEssential; i < n; i++)
            {
                var list = lists[i];
                int p = pos[i];
                if (p < list.Count && list.Docs[p] == doc)
                {
                    float score = Bm25.TermScore(weight[i], list.Tfs[p], norm);
                    contrib[queryIndex[i]] = score;
                    partial += score;
                    pos[i] = p + 1;
                }
            }

            bool competitive = true;
            for (int i = firstEssential - 1; i >= 0; i--)
            {
                if (partial + prefix[i] < threshold)
                {
                    competitive = false;
                    break;
                }

                var list = lists[i];
                int p = list.Seek(pos[i], doc);
                pos[i] = p;
                if (p < list.Count && list.Docs[p] == doc)
                {
                    float score = Bm25.TermScore(weight[i], list.Tfs[p], norm);
                    contrib[queryIndex[i]] = score;
                    partial += score;
                }
            }

            if (competitive && top.Offer(Sum(contrib), labels[doc]) && top.Full)
            {
                threshold = top.Threshold;
                while (firstEssential < n && prefix[firstEssential] < threshold)
                {
                    firstEssential++;
                }
            }
        }
    }

    /// <summary>
    /// If no document up to the nearest block end of the essential lists can reach the threshold (their current
    /// blocks' bounds plus every non-essential bound), moves those lists past it and returns true.
    /// </summary>
    private static bool SkipBlocks(KeywordScratch s, int n, int firstEssential, float threshold)
    {
        var lists = s.Lists;
        var pos = s.Pos;
        float bound = firstEssential > 0 ? s.Prefix[firstEssential - 1] : 0;
        int upto = int.MaxValue;
        for (int i = firstEssential; i < n; i++)
        {
            var list = lists[i];
            int p = pos[i];
            if (p >= list.Count)
            {
                continue;
            }

            int block = p >> TermPostings.BlockShift;
            if (s.Block[i] != block)
            {
                s.Block[i] = block;
                s.BlockLast[i] = list.Docs[Math.Min((block + 1) << TermPostings.BlockShift, list.Count) - 1];
                s.BlockBound[i] = Bm25.TermScore(s.Weight[i], list.BlockMaxTf[block], s.Norms[list.BlockMinNorm[block]]) * BoundSlack;
            }

            bound += s.BlockBound[i];
            upto = Math.Min(upto, s.BlockLast[i]);
        }

        if (bound >= threshold)
        {
            return false;
        }

        for (int i = firstEssential; i < n; i++)
        {
            pos[i] = lists[i].Seek(pos[i], upto + 1);
        }

        return true;
    }

    /// <summary>Sums per-term scores in query-term order, in double, so that the result does not depend on visit order.</summary>
    private static float Sum(ReadOnlySpan<float> contributions)
    {
        double sum = 0;
        foreach (float c in contributions)
        {
            sum += c;
        }

        return (float)sum;
    }
}
