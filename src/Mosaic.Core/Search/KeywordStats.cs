namespace Mosaic.Core.Search;

/// <summary>Collection-wide keyword statistics for one query: what BM25 needs so that scores do not depend on placement.</summary>
/// <remarks>
/// The coordinator asks every shard for its part (<see cref="DocCount"/> live documents, <see cref="TotalLength"/>
/// tokens in them, and per analyzed query term the live documents holding it), sums the parts with
/// <see cref="Sum"/>, and sends the sum with the query (Elasticsearch's dfs_query_then_fetch). Every shard then
/// scores with the same numbers, so the same document gets the same score on 1 shard or on 8.
/// </remarks>
public sealed record KeywordStats(long DocCount, long TotalLength, IReadOnlyDictionary<string, long> DocFrequencies)
{
    public static KeywordStats Empty { get; } = new(0, 0, new Dictionary<string, long>(StringComparer.Ordinal));

    /// <summary>A part from a replica that had not applied the request's read-your-writes seqs (see
    /// <see cref="ShardSearchRequest.AfterWait"/>); a sum is behind when any of its parts is.</summary>
    public bool Behind { get; init; }

    /// <summary>Adds the parts of several shards term by term.</summary>
    public static KeywordStats Sum(IEnumerable<KeywordStats> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        long docs = 0;
        long length = 0;
        bool behind = false;
        var df = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var part in parts)
        {
            docs += part.DocCount;
            length += part.TotalLength;
            behind |= part.Behind;
            foreach (var (term, count) in part.DocFrequencies)
            {
                df[term] = df.GetValueOrDefault(term) + count;
            }
        }

        return new KeywordStats(docs, length, df) { Behind = behind };
    }
}
