using Mosaic.Index.Keyword;
using Xunit;

namespace Mosaic.Tests.Keyword;

/// <summary>The analyzer's documented rules: word breaks, lower case, diacritic folding, CJK, digits, empty input.</summary>
public sealed class KeywordAnalyzerTests
{
    [Theory]
    [InlineData("Crème Brûlée", new[] { "creme", "brulee" })]
    [InlineData("ÅNGSTRÖM naïve façade Ærø", new[] { "angstrom", "naive", "facade", "aero" })]
    [InlineData("Straße Łódź Œuvre", new[] { "strasse", "lodz", "oeuvre" })]
    [InlineData("Καλημέρα ΕΛΛΆΔΑ Ёлка", new[] { "καλημερα", "ελλαδα", "елка" })]
    [InlineData("Tiếng Việt Ơn", new[] { "tieng", "viet", "on" })]
    [InlineData("e\u0301te\u0301", new[] { "ete" })]
    [InlineData("ｉＰｈｏｎｅ　１５，０００円", new[] { "iphone", "15,000", "円" })]
    [InlineData("ﬁnancial ﬂow ﬀ ﬃx ﬄ ﬆ", new[] { "financial", "flow", "ff", "ffix", "ffl", "st" })]
    [InlineData("Ｃａｆé", new[] { "cafe" })]
    public void Folds_case_and_diacritics(string text, string[] expected) => Assert.Equal(expected, KeywordAnalyzer.Analyze(text));

    [Theory]
    [InlineData("東京タワー", new[] { "東", "京", "タワー" })]
    [InlineData("我爱北京", new[] { "我", "爱", "北", "京" })]
    [InlineData("ひらがな", new[] { "ひ", "ら", "が", "な" })]
    [InlineData("한국어 텍스트", new[] { "한국어", "텍스트" })]
    [InlineData("Tokyo東京2020", new[] { "tokyo", "東", "京", "2020" })]
    public void Splits_cjk_ideographs_per_character_and_keeps_other_runs(string text, string[] expected) => Assert.Equal(expected, KeywordAnalyzer.Analyze(text));

    [Theory]
    [InlineData("pi is 3.14, not 3", new[] { "pi", "is", "3.14", "not", "3" })]
    [InlineData("1,000,000 mp3 4K 2024-11-29", new[] { "1,000,000", "mp3", "4k", "2024", "11", "29" })]
    [InlineData("Don't e.g. U.S.A. snake_case foo-bar", new[] { "don't", "e.g", "u.s.a", "snake_case", "foo", "bar" })]
    [InlineData("end. Next,word", new[] { "end", "next", "word" })]
    public void Keeps_digits_and_joins_mid_word_punctuation_like_uax29(string text, string[] expected) => Assert.Equal(expected, KeywordAnalyzer.Analyze(text));

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("!!! ... --- ?")]
    [InlineData(null)]
    public void Empty_or_punctuation_only_text_has_no_terms(string? text)
    {
        Assert.Empty(KeywordAnalyzer.Analyze(text));
        Assert.True(KeywordQuery.Parse(text).IsEmpty);
    }

    [Fact]
    public void A_token_of_ligatures_fits_the_scratch_after_expanding()
    {
        string word = new('\uFB03', KeywordAnalyzer.MaxTokenLength); // ﬃ, three letters each
        var terms = KeywordAnalyzer.Analyze(word);
        Assert.Equal(string.Concat(Enumerable.Repeat("ffi", KeywordAnalyzer.MaxTokenLength)), Assert.Single(terms));
    }

    [Fact]
    public void Long_runs_are_split_at_the_maximum_token_length()
    {
        string word = new('a', (KeywordAnalyzer.MaxTokenLength * 2) + 3);
        var terms = KeywordAnalyzer.Analyze(word);
        Assert.Equal([KeywordAnalyzer.MaxTokenLength, KeywordAnalyzer.MaxTokenLength, 3], terms.Select(t => t.Length));
    }

    [Fact]
    public void Query_keeps_distinct_terms_in_first_occurrence_order_with_counts()
    {
        var query = KeywordQuery.Parse("Cat dog CAT bird cat");
        Assert.Equal(["cat", "dog", "bird"], query.Terms);
        Assert.Equal([3, 1, 1], query.Counts);
    }
}
