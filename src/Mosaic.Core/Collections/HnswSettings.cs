namespace Mosaic.Core.Collections;

/// <summary>Graph parameters of a collection's HNSW index.</summary>
/// <remarks>
/// Defaults follow hnswlib's common choice (M=16, efConstruction=200); EfSearch is the per-query default.
/// <see cref="Quantization"/> is part of the graph's settings because it decides the graph's record layout.
/// </remarks>
public sealed record HnswSettings(int M = 16, int EfConstruction = 200, int EfSearch = 64, VectorQuantization Quantization = VectorQuantization.Float)
{
    public static HnswSettings Default { get; } = new();
}
