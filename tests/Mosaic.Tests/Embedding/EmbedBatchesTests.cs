using Mosaic.Embedding.Remote;
using Xunit;

namespace Mosaic.Tests.Embedding;

/// <summary>The one splitter of texts into calls (OpenAI's endpoint and the embedder nodes): every call within both limits,
/// nothing lost or reordered, a text past the character limit alone in its own call.</summary>
public sealed class EmbedBatchesTests
{
    [Theory]
    [InlineData(1, 1000, new[] { 3, 3, 3 }, new[] { 1, 1, 1 })]
    [InlineData(2, 1000, new[] { 3, 3, 3, 3, 3 }, new[] { 2, 2, 1 })]
    [InlineData(10, 6, new[] { 3, 3, 3, 3, 3 }, new[] { 2, 2, 1 })]
    [InlineData(10, 7, new[] { 3, 3, 3, 3, 3 }, new[] { 2, 2, 1 })]
    [InlineData(10, 9, new[] { 3, 3, 3, 3, 3 }, new[] { 3, 2 })]
    [InlineData(10, 5, new[] { 2, 9, 2, 2, 1 }, new[] { 1, 1, 3 })]
    [InlineData(10, 5, new[] { 9 }, new[] { 1 })]
    public void Calls_keep_within_both_limits_in_order(int maxTexts, long maxCharacters, int[] lengths, int[] expected)
    {
        var texts = lengths.Select((n, i) => ((char)('a' + i)).ToString().PadRight(n, '.')).ToList();

        var batches = EmbedBatches.Split(texts, maxTexts, maxCharacters);

        Assert.Equal(expected, batches.Select(b => b.Count));
        Assert.Equal(texts, batches.SelectMany(b => b));
        Assert.All(batches, b => Assert.True(b.Count <= maxTexts && (b.Count == 1 || b.Sum(t => t.Length) <= maxCharacters), $"a call of {b.Count} texts, {b.Sum(t => t.Length)} characters"));
    }
}
