namespace Mosaic.Index.Keyword;

/// <summary>An analyzed keyword query: its distinct terms in order of first occurrence, each with how often it occurs.</summary>
/// <remarks>
/// The order is canonical: scores are summed in it, so one query scores a document identically on every shard.
/// A query with no terms (empty, or only punctuation) matches nothing.
/// </remarks>
public sealed class KeywordQuery
{
    private KeywordQuery(string[] terms, int[] counts)
    {
        Terms = terms;
        Counts = counts;
    }

    /// <summary>Distinct analyzed terms, in order of first occurrence.</summary>
    public IReadOnlyList<string> Terms { get; }

    /// <summary>Occurrences of each term in the query (a term given twice weighs twice).</summary>
    public IReadOnlyList<int> Counts { get; }

    public bool IsEmpty => Terms.Count == 0;

    public static KeywordQuery Parse(string? text)
    {
        var terms = new List<string>();
        var counts = new List<int>();
        foreach (string term in KeywordAnalyzer.Analyze(text))
        {
            int i = terms.IndexOf(term);
            if (i >= 0)
            {
                counts[i]++;
            }
            else
            {
                terms.Add(term);
                counts.Add(1);
            }
        }

        return new KeywordQuery([.. terms], [.. counts]);
    }
}
