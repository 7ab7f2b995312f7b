using Mosaic.Core.Collections;
using Mosaic.Index;

namespace Mosaic.Tests.Index;

/// <summary>One 20k x 96 cosine index built once (in parallel) and shared, read-only, by the tests of a class.</summary>
public sealed class SharedCosineIndex : IDisposable
{
    public SharedCosineIndex()
    {
        Data = new IndexTestData(IndexTestData.DefaultSeed(1234), 20_000, 200, 96);
        Index = Data.Build(VectorMetric.Cosine, parallel: true);
    }

    internal IndexTestData Data { get; }

    internal HnswIndex Index { get; }

    public void Dispose() => Index.Dispose();
}
