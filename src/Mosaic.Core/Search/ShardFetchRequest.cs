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

    /// <summary>
    /// Most payload bytes (<see cref="DocPayload.EstimatedBytes"/>) the answer may carry, or null for no limit: a shard
    /// stops reading rows once past it and throws <see cref="PayloadBudgetExceededException"/>, so an answer the
    /// coordinator would refuse (Mosaic:Coordinator:MaxAnswerBytes) is never read whole into memory.
    /// </summary>
    public long? MaxBytes { get; init; }
}

/// <summary>One document's payload as a fetch returns it; a requested id that is gone (deleted since the search) is absent.</summary>
public sealed record DocPayload(string Id, string? Text, string? FieldsJson, float[]? Vector)
{
    /// <summary>What this payload weighs in an answer (see <see cref="EstimateBytes"/>).</summary>
    public long EstimatedBytes => EstimateBytes(Id, Text, FieldsJson, Vector?.Length ?? 0);

    /// <summary>
    /// An answer's weight of one document: characters of id, text and fields, 12 bytes a vector value (as JSON), 64 for
    /// the hit itself. Cheap (no text is scanned); it errs low only for non-ASCII text.
    /// </summary>
    public static long EstimateBytes(string id, string? text, string? fieldsJson, int vectorLength) =>
        64 + id.Length + (text?.Length ?? 0) + (fieldsJson?.Length ?? 0) + (12L * vectorLength);
}

/// <summary>A fetch stopped reading because its payloads passed <see cref="ShardFetchRequest.MaxBytes"/>.</summary>
public sealed class PayloadBudgetExceededException(long readBytes, long maxBytes)
    : Exception($"the payloads read reached {readBytes} bytes, past the fetch's limit of {maxBytes}")
{
    /// <summary>Bytes of the payloads read when the fetch stopped (past <see cref="MaxBytes"/> by the last one).</summary>
    public long ReadBytes { get; } = readBytes;

    public long MaxBytes { get; } = maxBytes;
}
