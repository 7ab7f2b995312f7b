namespace Mosaic.Core.Embedding;

/// <summary>The vectors of a list of texts (same order) and how many model tokens the texts took.</summary>
/// <remarks><see cref="Tokens"/> counts the tokens the model saw, [CLS] and [SEP] included, after truncation.</remarks>
public sealed record EmbeddingResult(IReadOnlyList<float[]> Vectors, int Tokens);
