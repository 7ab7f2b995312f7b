namespace Mosaic.Core.Collections;

/// <summary>Graph parameters of a collection's HNSW index.</summary>
/// <remarks>Defaults follow hnswlib's common choice (M=16, efConstruction=200); EfSearch is the per-query default.</remarks>
public sealed record HnswSettings(int M = 16, int EfConstruction = 200, int EfSearch = 64)
{
    public static HnswSettings Default { get; } = new();
}
