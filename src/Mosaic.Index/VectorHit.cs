namespace Mosaic.Index;

/// <summary>One search result: the caller's label and its score.</summary>
/// <remarks>
/// Scores are always "higher is better": for <c>Cosine</c> and <c>Dot</c> the dot product (cosine vectors are
/// normalized at <see cref="HnswIndex.Add"/> and at query time), for <c>L2</c> the negated Euclidean distance.
/// </remarks>
public readonly record struct VectorHit(long Label, float Score);
