namespace Mosaic.Index.Kernels;

/// <summary>A distance the graph minimizes; implemented by structs so that generic search code is specialized (and inlined) per metric.</summary>
internal unsafe interface IDistance
{
    static abstract float Distance(float* a, float* b, int n);
}

/// <summary>Negated dot product: smaller is closer (Cosine on pre-normalized vectors, and Dot).</summary>
internal readonly unsafe struct NegativeDot : IDistance
{
    public static float Distance(float* a, float* b, int n) => -VectorKernels.Dot(a, b, n);
}

/// <summary>Squared Euclidean distance (the square root is taken only for the reported score).</summary>
internal readonly unsafe struct SquaredL2 : IDistance
{
    public static float Distance(float* a, float* b, int n) => VectorKernels.L2Squared(a, b, n);
}
