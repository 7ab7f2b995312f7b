namespace Mosaic.Index.Keyword;

/// <summary>The one analyzer for documents and queries: Unicode word breaks, lower case, diacritics folded.</summary>
/// <remarks>
/// <para>Rules (close to Lucene's <c>StandardAnalyzer</c> without stop words, so that answers are comparable):</para>
/// <list type="bullet">
/// <item>A word is a run of letters, digits, combining marks and connector punctuation (<c>_</c>). Letters and digits
/// join (<c>mp3</c>, <c>4k</c>).</item>
/// <item>Inside a word, <c>'</c> <c>’</c> <c>.</c> <c>:</c> <c>·</c> join two letters (<c>don't</c>, <c>e.g</c>), and
/// <c>,</c> <c>.</c> <c>;</c> <c>'</c> join two digits (<c>3.14</c>, <c>1,000</c>). Everything else separates.</item>
/// <item>Han ideographs and Hiragana become one token per character (as Lucene's StandardTokenizer does); Katakana,
/// Hangul, Thai and other scripts without spaces stay runs.</item>
/// <item>Each token is lower-cased and folded: Latin, Greek and Cyrillic letters lose their diacritics (é→e, Å→a,
/// ά→α), and ß æ œ ø ł đ ð þ ı ħ become ss ae oe o l d d th i h. Marks of other scripts (Indic vowel signs) are
/// kept: they are letters there, not accents.</item>
/// <item>Full-width ASCII forms (ｉＰｈｏｎｅ １５，０００) read as their ASCII characters, for word breaks too, and the Latin
/// ligatures ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ expand to their letters, as NFKC does (half-width Katakana and the rest of NFKC are not
/// folded).</item>
/// <item>Tokens longer than <see cref="MaxTokenLength"/> characters are cut into pieces of that length.</item>
/// </list>
/// <para>Invariant: the same text always yields the same terms, on every machine (no culture, no ICU data beyond the
/// canonical decompositions read once at start).</para>
/// </remarks>
public static class KeywordAnalyzer
{
    /// <summary>Longest token kept whole (Lucene's default); a longer run is split.</summary>
    public const int MaxTokenLength = 255;

    /// <summary>A scratch buffer of this many chars is enough for any token after folding (an expansion at most triples: ﬃ).</summary>
    public const int ScratchLength = MaxTokenLength * 3;

    /// <summary>Analyzes <paramref name="text"/> into its terms, in order, duplicates kept. Allocates; for tests and queries.</summary>
    public static List<string> Analyze(string? text)
    {
        var terms = new List<string>();
        if (string.IsNullOrEmpty(text))
        {
            return terms;
        }

        Span<char> scratch = stackalloc char[ScratchLength];
        var tokenizer = new KeywordTokenizer(text, scratch);
        while (tokenizer.Next(out var term))
        {
            terms.Add(term.ToString());
        }

        return terms;
    }
}
