namespace Mosaic.Index;

/// <summary>Full-precision vectors by label, for rescoring the final candidates of a quantized graph.</summary>
/// <remarks>
/// A quantized index keeps only codes in memory; the float vectors live where they already are (the shard file in
/// the server, the loaded data set in the bench). Called from the search path for a few dozen labels per query,
/// on the searching thread.
/// </remarks>
public interface IVectorSource
{
    /// <summary>Copies the vector of <paramref name="label"/> into <paramref name="destination"/> (dimension floats); false when it is gone.</summary>
    bool TryRead(long label, Span<float> destination);

    /// <summary>
    /// The vector of <paramref name="label"/> where it already lies in memory (dimension floats), or false (the
    /// default) when the source has to read or copy it: rescoring then prefetches every candidate's row first and
    /// scores it in place instead of copying it (the copies were a fifth of a binary search at 10k x 384).
    /// </summary>
    bool TryPeek(long label, out ReadOnlySpan<float> vector)
    {
        vector = default;
        return false;
    }
}
