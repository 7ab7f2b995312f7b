namespace Mosaic.Core.Collections;

/// <summary>How two vectors are compared. Scores are always "higher is better".</summary>
/// <remarks>
/// Cosine vectors are normalized at write time, so cosine is computed as a dot product.
/// L2 scores are the negated Euclidean distance, so that merging across shards and lists only ever sorts descending.
/// </remarks>
public enum VectorMetric
{
    Cosine,
    Dot,
    L2,
}
