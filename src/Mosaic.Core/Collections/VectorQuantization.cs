namespace Mosaic.Core.Collections;

/// <summary>How a collection's HNSW graph stores its vectors in memory.</summary>
/// <remarks>
/// Quantized graphs are walked on the compact codes; the final candidates are rescored on the full-precision vectors
/// (read from the shard file), so the scores a search returns are always exact.
/// </remarks>
public enum VectorQuantization
{
    /// <summary>32-bit floats (the default): no approximation.</summary>
    Float,

    /// <summary>One signed byte per dimension (scalar quantization with bounds learned from the first vectors).</summary>
    Int8,

    /// <summary>One bit per dimension (above or below the learned per-dimension mean); for 384 dimensions and more.</summary>
    Binary,
}
