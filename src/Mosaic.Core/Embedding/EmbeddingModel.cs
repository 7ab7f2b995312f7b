using Mosaic.Core.Errors;

namespace Mosaic.Core.Embedding;

/// <summary>A text embedding model Mosaic knows by name: what a collection's <c>embed.model</c> and /v1/embeddings accept.</summary>
/// <param name="Name">The name in the API, e.g. <c>minilm</c>.</param>
/// <param name="Dimension">Length of its vectors.</param>
/// <param name="MaxTokens">Longest input in tokens ([CLS] and [SEP] included); longer texts are truncated to it.</param>
public sealed record EmbeddingModel(string Name, int Dimension, int MaxTokens)
{
    /// <summary>
    /// all-MiniLM-L6-v2 (sentence-transformers), 384 dimensions, mean pooling, unit length, 256 tokens: the model's
    /// max_seq_length, where its model card and <c>SentenceTransformer.encode</c> cut, so a long text gets the vector
    /// Python users get. (It was fine-tuned on 128; its position table has 512 entries, and a text at 512 costs twice the
    /// model time of one at 256.)
    /// </summary>
    public static EmbeddingModel MiniLm { get; } = new("minilm", 384, 256);

    /// <summary>Every model this build can serve.</summary>
    public static IReadOnlyList<EmbeddingModel> Known { get; } = [MiniLm];

    public static EmbeddingModel? Find(string name) => Known.FirstOrDefault(m => m.Name == name);

    /// <summary>The model of that name, or a 400 naming <paramref name="field"/> and the models there are.</summary>
    public static EmbeddingModel Get(string name, string field) => Find(name)
        ?? throw MosaicException.Invalid($"{field}: unknown embedding model '{(name.Length <= 64 ? name : name[..64] + "…")}' (known: {string.Join(", ", Known.Select(m => m.Name))})");
}
