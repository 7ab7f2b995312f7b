namespace Mosaic.Core.Search;

/// <summary>A document id with its score in one ranked list (higher is better), plus payload when asked for.</summary>
/// <remarks>
/// <see cref="Row"/> is where the shard that found the hit holds it (its row id), passed back in the payload fetch so the
/// shard reads the row directly instead of looking the id up: a hint only, since the row may hold another document by
/// then (the shard checks the id and falls back to the look-up). Never part of an answer.
/// </remarks>
public sealed record ScoredDoc(string Id, float Score, string? Text = null, string? FieldsJson = null, float[]? Vector = null)
{
    /// <summary>The row of the shard that found this hit, or -1 when unknown (a remote shard, a cached answer).</summary>
    public long Row { get; init; } = -1;
}
