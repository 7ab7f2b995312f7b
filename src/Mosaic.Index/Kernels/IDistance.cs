namespace Mosaic.Index.Kernels;

/// <summary>A distance the graph minimizes; implemented by structs so that generic search code is specialized (and inlined) per metric.</summary>
/// <remarks>
/// Operands are the stored representation (padded floats, int8 codes or bit codes) and <c>n</c> counts its units
/// (floats, bytes or 64-bit words). Quantized distances are in code units: only their order within one search matters.
/// </remarks>
internal unsafe interface IDistance
{
    static abstract float Distance(byte* a, byte* b, int n);
}

/// <summary>Negated dot product: smaller is closer (Cosine on pre-normalized vectors, and Dot).</summary>
internal readonly unsafe struct NegativeDot : IDistance
{
    public static float Distance(byte* a, byte* b, int n) => -VectorKernels.Dot((float*)a, (float*)b, n);
}

/// <summary>Squared Euclidean distance (the square root is taken only for the reported score).</summary>
internal readonly unsafe struct SquaredL2 : IDistance
{
    public static float Distance(byte* a, byte* b, int n) => VectorKernels.L2Squared((float*)a, (float*)b, n);
}

/// <summary>Negated dot product of int8 codes (symmetric quantization around zero, so the order is the float order).</summary>
internal readonly unsafe struct Int8NegativeDot : IDistance
{
    public static float Distance(byte* a, byte* b, int n) => -QuantizedKernels.DotInt8((sbyte*)a, (sbyte*)b, n);
}

/// <summary>
/// The search walk's int8 dot distance where the CPU has AVX-VNNI: a is the query's code, b a node's; minus
/// Σ (b + 128) · a, the dot product shifted by the same 128·Σa for every node of one query (see
/// <see cref="QuantizedKernels.DotInt8Biased"/>), so the walk visits and ranks nodes as with
/// <see cref="Int8NegativeDot"/>. Not for construction, whose neighbour heuristic compares distances from different
/// nodes (different shifts); reported scores are computed with the exact kernel.
/// </summary>
internal readonly unsafe struct Int8BiasedNegativeDot : IDistance
{
    public static float Distance(byte* a, byte* b, int n) => -QuantizedKernels.DotInt8Biased((sbyte*)b, (sbyte*)a, n);
}

/// <summary>Squared Euclidean distance of int8 codes (one scale for all dimensions, so the offsets cancel).</summary>
internal readonly unsafe struct Int8SquaredL2 : IDistance
{
    public static float Distance(byte* a, byte* b, int n) => QuantizedKernels.L2SquaredInt8((sbyte*)a, (sbyte*)b, n);
}

/// <summary>
/// Query side of a binary graph: the query at 4 bits per dimension as bit planes after a 64-byte header (see
/// QuantizationCodec.EncodeBinaryQuery) against a node's bits and factors: an estimate of the float distance from a
/// few table lookups per 64 dimensions instead of a float multiply per dimension.
/// </summary>
internal readonly unsafe struct BinaryQuery : IDistance
{
    // a: the encoded query; b: the node's n words, then its factors.
    public static float Distance(byte* a, byte* b, int n) => QuantizedKernels.BinaryDistance(a, b, n);
}

/// <summary>Hamming distance of bit codes (both metrics: bits are "above the learned mean").</summary>
internal readonly unsafe struct Hamming : IDistance
{
    public static float Distance(byte* a, byte* b, int n) => QuantizedKernels.Hamming((ulong*)a, (ulong*)b, n);
}
