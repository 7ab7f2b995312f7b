using Mosaic.Index.Keyword;
using Xunit;

namespace Mosaic.Tests.Keyword;

/// <summary>The formula's pieces against values worked out by hand from Lucene's definitions.</summary>
public sealed class Bm25Tests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(23, 23)]
    [InlineData(24, 24)]
    [InlineData(100, 96)]   // 100 − 24 = 76 = 0b1001100: 3 significant bits after the leading one keep 72, so 24 + 72
    [InlineData(1000, 984)]
    public void Lengths_are_stored_in_one_byte_as_lucene_does(int length, int decoded) => Assert.Equal(decoded, Bm25.LengthTable[Bm25.EncodeLength(length)]);

    [Fact]
    public void Length_encoding_is_monotone_and_never_decodes_above_the_length()
    {
        byte previous = 0;
        for (int length = 0; length < 200_000; length++)
        {
            byte norm = Bm25.EncodeLength(length);
            Assert.True(norm >= previous);
            Assert.True(Bm25.LengthTable[norm] <= length);
            previous = norm;
        }
    }

    [Theory]
    [InlineData(10, 1, 1.9924302)]    // ln(1 + 9.5 / 1.5)
    [InlineData(10, 10, 0.04652002)]  // ln(1 + 0.5 / 10.5): positive even when every document holds the term
    [InlineData(1, 1, 0.28768207)]
    public void Idf_is_lucenes_and_always_positive(long docs, long df, double expected) => Assert.Equal(expected, Bm25.Idf(docs, df), 5);

    [Fact]
    public void Term_score_follows_the_formula()
    {
        // tf 3, |d| 10, avgdl 20: norm = 1.2 · (0.25 + 0.75 · 10 / 20) = 0.75; score = 2 · 3 / 3.75
        float norm = Bm25.Norm(Bm25.EncodeLength(10), 20f);
        Assert.Equal(0.75f, norm, 5);
        Assert.Equal(1.6f, Bm25.TermScore(2f, 3, norm), 5);
    }
}
