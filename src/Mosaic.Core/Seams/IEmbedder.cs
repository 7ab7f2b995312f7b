using Mosaic.Core.Embedding;

namespace Mosaic.Core.Seams;

/// <summary>Turns texts into vectors with a named model: in this process, on embedder nodes, or at an OpenAI-compatible endpoint.</summary>
/// <remarks>
/// Vectors come back in the order of <c>texts</c>, one per text, unit length (cosine is a dot product). An embedder that
/// cannot answer throws <see cref="Errors.MosaicException"/> of kind <see cref="Errors.ErrorKind.Unavailable"/> (with a
/// retry-after); an unknown model is <see cref="Errors.ErrorKind.InvalidArgument"/>.
/// </remarks>
public interface IEmbedder
{
    Task<EmbeddingResult> EmbedAsync(string model, IReadOnlyList<string> texts, CancellationToken ct);
}
