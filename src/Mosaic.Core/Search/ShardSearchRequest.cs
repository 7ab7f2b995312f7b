using Mosaic.Core.Collections;

namespace Mosaic.Core.Search;

/// <summary>What the coordinator asks of one shard replica.</summary>
/// <remarks><see cref="AfterSeqs"/> holds only the token's slots that this shard owns; the shard waits for them first.</remarks>
public sealed record ShardSearchRequest(
    long CollectionId,
    int Shard,
    SearchMode Mode,
    float[]? Vector,
    string? Query,
    Filter? Filter,
    int TopK,
    int? EfSearch,
    bool IncludeText,
    bool IncludeFields,
    bool IncludeVector,
    IReadOnlyDictionary<int, long>? AfterSeqs)
{
    /// <summary>Collection-wide keyword statistics the coordinator summed over every shard (BM25 scores then do not
    /// depend on placement); null: the shard scores with its own, exact when it is the only shard.</summary>
    public KeywordStats? KeywordStats { get; init; }

    /// <summary>When the coordinator stops waiting (UTC); remote calls carry it as their gRPC deadline.</summary>
    public DateTime? Deadline { get; init; }

    /// <summary>
    /// How long the replica waits for <see cref="AfterSeqs"/> before it answers with what it has applied and says so
    /// (<see cref="ShardSearchResult.Behind"/>); a replica that is failing to apply answers at once. Null: it waits
    /// until the deadline and fails rather than answer without them (a reader's consistency token).
    /// </summary>
    /// <remarks>The result cache pins a search to the store's heads only so that it may store the answer under them; a
    /// replica that cannot reach them must not turn every search into a timeout.</remarks>
    public TimeSpan? AfterWait { get; init; }
}

/// <summary>One shard's answer: the top-k of each list it was asked for, best first.</summary>
public sealed record ShardSearchResult(IReadOnlyList<ScoredDoc> VectorHits, IReadOnlyList<ScoredDoc> KeywordHits)
{
    /// <summary>The replica answered without having applied the request's <see cref="ShardSearchRequest.AfterSeqs"/>
    /// (only when the request allowed it, <see cref="ShardSearchRequest.AfterWait"/>).</summary>
    public bool Behind { get; init; }
}

/// <summary>Per-shard statistics for the collection view and scaling signals.</summary>
public sealed record ShardStats(int Shard, string Range, string State, long DocCount, long VectorCount, long Bytes, long AppliedChanges, long Lag);
