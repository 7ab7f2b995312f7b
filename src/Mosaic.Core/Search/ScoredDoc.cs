namespace Mosaic.Core.Search;

/// <summary>A document id with its score in one ranked list (higher is better), plus payload when asked for.</summary>
public sealed record ScoredDoc(string Id, float Score, string? Text = null, string? FieldsJson = null, float[]? Vector = null);
