namespace Mosaic.Index.Keyword;

/// <summary>The lower-case and diacritic folding table behind <see cref="KeywordTokenizer"/>, built once at start.</summary>
/// <remarks>
/// Written out here rather than derived from Unicode decompositions, because the service runs with invariant
/// globalization (no ICU: <c>string.Normalize</c> is a no-op there), and so that every machine folds alike.
/// Covered: Latin-1 Supplement, Latin Extended-A, Vietnamese (Ơ Ư and U+1EA0–U+1EF9), Greek tonos and dialytika,
/// Cyrillic ё; combining diacritics (U+0300–U+036F and its supplements) are dropped, so decomposed input folds too.
/// Everything else is only lower-cased.
/// </remarks>
internal static class TermFolding
{
    /// <summary>Characters below this are looked up; above (CJK, Hangul, surrogates) only lower-casing applies.</summary>
    public const int TableLength = 0x3000;

    /// <summary>Table value: drop the character (a combining diacritic).</summary>
    public const char Drop = '\0';

    /// <summary>Table value: the character folds to more than one (see <see cref="Expansion"/>).</summary>
    public const char Expand = '\uFFFF';

    // One folded letter per code point from U+00C0, and from U+0100; '#' = expansion, '=' = keep (lower-cased).
    private const string Latin1 = "aaaaaa#ceeeeiiiidnooooo=ouuuuy##aaaaaa#ceeeeiiiidnooooo=ouuuuy#y";
    private const string LatinExtendedA = "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii##jjkkkllllllllllnnnnnnnnnoooooo##rrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";
    private const string Vietnamese = "aaaaaaaaaaaaaaaaaaaaaaaaeeeeeeeeeeeeeeeeiiiioooooooooooooooooooooooouuuuuuuuuuuuuuyyyyyyyy";

    public static readonly char[] Table = Build();

    /// <summary>A full-width ASCII form (U+FF01–U+FF5E, as CJK text writes Latin letters, digits and punctuation) as its ASCII character; any other character unchanged.</summary>
    public static char Narrow(char c) => c is >= '\uFF01' and <= '\uFF5E' ? (char)(c - 0xFEE0) : c;

    /// <summary>The letters of a Latin ligature (U+FB00–U+FB06: ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ, common in text extracted from PDFs), or null.</summary>
    public static string? Ligature(char c) => c switch
    {
        '\uFB00' => "ff",
        '\uFB01' => "fi",
        '\uFB02' => "fl",
        '\uFB03' => "ffi",
        '\uFB04' => "ffl",
        '\uFB05' or '\uFB06' => "st",
        _ => null,
    };

    public static string Expansion(char c) => char.ToLowerInvariant(c) switch
    {
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        'þ' => "th",
        'ĳ' => "ij",
        _ => c.ToString(),
    };

    private static bool IsDiacritic(int c) => c is (>= 0x0300 and <= 0x036F) or (>= 0x1AB0 and <= 0x1AFF) or (>= 0x1DC0 and <= 0x1DFF) or (>= 0x20D0 and <= 0x20FF);

    private static char[] Build()
    {
        var table = new char[TableLength];
        for (int i = 0; i < TableLength; i++)
        {
            table[i] = IsDiacritic(i) ? Drop : char.ToLowerInvariant((char)i);
        }

        Overlay(table, 0x00C0, Latin1);
        Overlay(table, 0x0100, LatinExtendedA);
        Overlay(table, 0x1EA0, Vietnamese);
        table[0x01A0] = table[0x01A1] = 'o';
        table[0x01AF] = table[0x01B0] = 'u';
        foreach (var (from, to) in new[] { ("ΆάΑα", 'α'), ("ΈέΕε", 'ε'), ("ΉήΗη", 'η'), ("ΊίΪϊΐ", 'ι'), ("ΌόΟο", 'ο'), ("ΎύΫϋΰ", 'υ'), ("ΏώΩω", 'ω'), ("Ёё", 'е') })
        {
            foreach (char c in from)
            {
                table[c] = to;
            }
        }

        return table;
    }

    private static void Overlay(char[] table, int start, string letters)
    {
        for (int i = 0; i < letters.Length; i++)
        {
            table[start + i] = letters[i] switch
            {
                '#' => Expand,
                '=' => table[start + i],
                char c => c,
            };
        }
    }
}
