namespace Mosaic.Embedding.Remote;

/// <summary>Splits a list of texts into calls of at most so many texts and characters, in order.</summary>
/// <remarks>A text longer than the character limit alone still makes one call of its own: the receiver decides about it.</remarks>
internal static class EmbedBatches
{
    public static List<IReadOnlyList<string>> Split(IReadOnlyList<string> texts, int maxTexts, long maxCharacters)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var batches = new List<IReadOnlyList<string>>();
        var current = new List<string>();
        long characters = 0;
        foreach (var text in texts)
        {
            if (current.Count == maxTexts || (current.Count > 0 && characters + text.Length > maxCharacters))
            {
                batches.Add(current);
                current = [];
                characters = 0;
            }

            current.Add(text);
            characters += text.Length;
        }

        batches.Add(current);
        return batches;
    }
}
