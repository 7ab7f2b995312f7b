using System.Text.Json;
using Mosaic.Core.Search;

namespace Mosaic.Coordinator.Reads;

/// <summary>A search as the client asked it, parsed but not yet checked against the collection.</summary>
/// <remarks>
/// <see cref="Filter"/> stays raw JSON because its meaning (keyword or number) depends on the collection's fields.
/// <see cref="ModeImplied"/>: the client gave no mode, so <see cref="Mode"/> was guessed from what it sent, and a collection
/// with an embedding model may still turn query text alone into a hybrid search.
/// </remarks>
public sealed record SearchQuery(
    SearchMode Mode,
    float[]? Vector,
    string? Query,
    JsonElement? Filter,
    int TopK = 10,
    int? EfSearch = null,
    string? After = null,
    int? TimeoutMs = null,
    bool AllowPartial = true,
    bool IncludeText = false,
    bool IncludeFields = false,
    bool IncludeVector = false,
    bool ModeImplied = false)
{
    /// <summary><see cref="After"/> is the result cache's version, not a reader's token: a replica that has not applied it
    /// within half the deadline (or is failing to apply) answers with what it has, and the answer says so
    /// (<see cref="SearchAnswer.Behind"/>) instead of failing.</summary>
    public bool PinnedByCache { get; init; }

    /// <summary>How a hybrid search fuses its lists (null: the default, RRF with k 60 and equal weights).</summary>
    public Fusion? Fusion { get; init; }

    /// <summary>Hits skipped before the answer's top_k (a page of results: offset 10 with top_k 10 is the second page).</summary>
    public int Offset { get; init; }

    /// <summary>When the request arrived, a <see cref="TimeProvider"/> timestamp: its deadline (timeout_ms) counts from
    /// here, so reading the body and the result cache's work before the read path count against it. Null: from when the
    /// read path starts.</summary>
    public long? Arrived { get; init; }

    /// <summary>Hits scoring below this are left out (the mode's own score: similarity, negated L2, BM25 or RRF).</summary>
    public float? MinScore { get; init; }
}

/// <summary>One shard that did not answer, and why (timeout, unavailable, error).</summary>
public sealed record ShardFailure(int Shard, string Reason);

/// <summary>The gathered answer of a search.</summary>
public sealed record SearchAnswer(
    IReadOnlyList<ScoredDoc> Hits,
    double TookMs,
    int ShardsTotal,
    int ShardsOk,
    IReadOnlyList<ShardFailure> Failures,
    double Coverage)
{
    public bool Partial => Failures.Count > 0;

    /// <summary>Some replica answered without the writes of a <see cref="SearchQuery.PinnedByCache"/> version (never for a
    /// reader's token): right for this request, not to be cached under that version.</summary>
    public bool Behind { get; init; }

    /// <summary>True when the answer came from the result cache rather than from the shards.</summary>
    public bool Cached { get; init; }
}
