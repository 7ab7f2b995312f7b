using System.Globalization;
using System.IO.Hashing;
using System.Text;

namespace Mosaic.Embedding.Caching;

/// <summary>The cache key of a text's embedding: model + 128-bit hash of the text as the model sees it.</summary>
/// <remarks>
/// Normalization only folds what the model cannot tell apart anyway: runs of whitespace (the tokenizer splits on them)
/// and letter case (it lower-cases), so " Blue  Suede" and "blue suede" share one entry and one model run. The model name
/// is in the key, so a future model never reads another's vectors, and so is a known model's token window: a vector cut
/// at another window (minilm used 512 tokens before 256) is another vector, and a shared cache must not hand it out.
/// </remarks>
public static class EmbeddingKey
{
    public static string Of(string model, string text)
    {
        var normalized = new StringBuilder(text.Length);
        foreach (var word in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            if (normalized.Length > 0)
            {
                normalized.Append(' ');
            }

            normalized.Append(word.ToLowerInvariant());
        }

        var hash = XxHash128.HashToUInt128(Encoding.UTF8.GetBytes(normalized.ToString()));
        return Mosaic.Core.Embedding.EmbeddingModel.Find(model) is { } known
            ? string.Create(CultureInfo.InvariantCulture, $"emb:{model}:{known.MaxTokens}:{hash:x32}")
            : string.Create(CultureInfo.InvariantCulture, $"emb:{model}:{hash:x32}");
    }
}
