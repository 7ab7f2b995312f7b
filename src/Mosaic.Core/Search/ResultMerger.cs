namespace Mosaic.Core.Search;

/// <summary>Gathers per-shard ranked lists into one global list, and fuses lists by reciprocal rank.</summary>
/// <remarks>
/// Shards own disjoint slots, so an id appears in at most one shard's list; dedupe is kept anyway because a
/// hedged or retried call may answer twice during a routing change.
/// </remarks>
public static class ResultMerger
{
    /// <summary>The reciprocal rank fusion constant; 60 is the value from Cormack et al. (2009) that API.md fixes.</summary>
    public const int RrfK = 60;

    /// <summary>The best <paramref name="k"/> of the lists by score (then id), each id once with its best score.</summary>
    /// <remarks>
    /// All hits sorted, then taken in order while skipping ids already taken: no dictionary per merge (its entries were
    /// ~6 % of an embedded vector search's allocations). Ids taken are compared one by one while there are few of them,
    /// then through a set.
    /// </remarks>
    public static List<ScoredDoc> MergeTopK(IEnumerable<IReadOnlyList<ScoredDoc>> lists, int k)
    {
        int total = 0;
        if (lists is IReadOnlyList<IReadOnlyList<ScoredDoc>> known)
        {
            // Sized once: the lists are short, and growing the list cost more than summing their counts.
            foreach (var list in known)
            {
                total += list.Count;
            }
        }

        var all = new List<ScoredDoc>(total);
        foreach (var list in lists)
        {
            all.AddRange(list);
        }

        all.Sort(static (a, b) => b.Score.CompareTo(a.Score) is var byScore and not 0 ? byScore : string.CompareOrdinal(a.Id, b.Id));
        var merged = new List<ScoredDoc>(Math.Min(k, all.Count));
        HashSet<string>? taken = null;
        foreach (var hit in all)
        {
            if (merged.Count >= k)
            {
                break;
            }

            if (!Taken(merged, hit.Id, ref taken))
            {
                merged.Add(hit);
            }
        }

        return merged;
    }

    /// <summary>Whether <paramref name="id"/> is among <paramref name="merged"/>; if not, it is recorded as taken.</summary>
    private static bool Taken(List<ScoredDoc> merged, string id, ref HashSet<string>? taken)
    {
        const int ScanUpTo = 16;
        if (taken is null && merged.Count < ScanUpTo)
        {
            foreach (var doc in merged)
            {
                if (string.Equals(doc.Id, id, StringComparison.Ordinal))
                {
                    return true;
                }
            }

            return false;
        }

        if (taken is null)
        {
            taken = new HashSet<string>(StringComparer.Ordinal);
            foreach (var doc in merged)
            {
                taken.Add(doc.Id);
            }
        }

        return !taken.Add(id);
    }

    /// <summary>RRF: score(d) = Σ w / (k + rank(d)) over the lists, rank starting at 1; the best <paramref name="topK"/>.</summary>
    /// <remarks>A list of weight 0 is left out, so its documents do not fill the answer with score-0 hits.</remarks>
    public static List<ScoredDoc> FuseReciprocalRank(IReadOnlyList<ScoredDoc> vector, IReadOnlyList<ScoredDoc> keyword, int topK, Fusion? fusion = null)
    {
        fusion ??= Fusion.Default;
        var fused = new Dictionary<string, (ScoredDoc Doc, double Score)>(StringComparer.Ordinal);
        void Add(IReadOnlyList<ScoredDoc> list, double weight)
        {
            if (weight == 0)
            {
                return;
            }

            for (int rank = 0; rank < list.Count; rank++)
            {
                var hit = list[rank];
                double contribution = weight / (fusion.K + rank + 1);
                fused[hit.Id] = fused.TryGetValue(hit.Id, out var prior)
                    ? (prior.Doc.Text is null && prior.Doc.FieldsJson is null ? hit : prior.Doc, prior.Score + contribution)
                    : (hit, contribution);
            }
        }

        Add(vector, fusion.VectorWeight);
        Add(keyword, fusion.KeywordWeight);
        return fused.Values
            .OrderByDescending(v => v.Score).ThenBy(v => v.Doc.Id, StringComparer.Ordinal)
            .Take(topK)
            .Select(v => v.Doc with { Score = (float)v.Score })
            .ToList();
    }
}
