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
}

/// <summary>One shard's answer: the top-k of each list it was asked for, best first.</summary>
public sealed record ShardSearchResult(IReadOnlyList<ScoredDoc> VectorHits, IReadOnlyList<ScoredDoc> KeywordHits);

/// <summary>Per-shard statistics for the collection view and scaling signals.</summary>
public sealed record ShardStats(int Shard, string Range, string State, long DocCount, long VectorCount, long Bytes, long AppliedChanges, long Lag);
