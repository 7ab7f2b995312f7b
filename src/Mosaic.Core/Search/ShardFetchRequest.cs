namespace Mosaic.Core.Search;

/// <summary>The second phase of a search (query-then-fetch): the payloads of the final hits that one shard holds.</summary>
/// <remarks>
/// Shards answer a search with (id, score) only; the coordinator merges, fuses and cuts to top_k, then asks each shard
/// involved once for just those ids, so payload cost follows top_k rather than shards × lists × k.
/// </remarks>
public sealed record ShardFetchRequest(long CollectionId, int Shard, IReadOnlyList<string> Ids, bool IncludeText, bool IncludeFields, bool IncludeVector)
{
    /// <summary>When the coordinator stops waiting (UTC); remote calls carry it as their gRPC deadline.</summary>
    public DateTime? Deadline { get; init; }

    /// <summary>
    /// Each id's row as the shard's search reported it (<see cref="ScoredDoc.Row"/>, -1 unknown), index for index with
    /// <see cref="Ids"/>, or null: a hint that saves the id look-up; a row that no longer holds its id is looked up by id.
    /// </summary>
    public IReadOnlyList<long>? Rows { get; init; }
}

/// <summary>One document's payload as a fetch returns it; a requested id that is gone (deleted since the search) is absent.</summary>
public sealed record DocPayload(string Id, string? Text, string? FieldsJson, float[]? Vector);
