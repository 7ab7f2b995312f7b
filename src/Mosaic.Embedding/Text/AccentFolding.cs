using System.Text;

namespace Mosaic.Embedding.Text;

/// <summary>
/// BERT's accent stripping: canonical decomposition (NFD), then every non-spacing mark dropped ("Café" → "Cafe").
/// </summary>
/// <remarks>
/// Mosaic runs in globalization-invariant mode, where <see cref="string.Normalize()"/> does nothing, so the decompositions
/// come from a generated table (<c>AccentFolding.Table.cs</c>, BMP) plus the Hangul arithmetic of the Unicode standard.
/// Code points outside the BMP are kept as they are (their canonical decompositions are CJK compatibility ideographs
/// and musical symbols, which the model's vocabulary does not hold either way).
/// </remarks>
internal static partial class AccentFolding
{
    private const int HangulBase = 0xAC00, HangulCount = 11172, JamoL = 0x1100, JamoV = 0x1161, JamoT = 0x11A7, VCount = 21, TCount = 28;

    /// <summary>The text with accents stripped; the same instance when there is nothing to strip (the common case).</summary>
    public static string Fold(string text)
    {
        int first = 0;
        while (first < text.Length && (text[first] < 0x80 || !Changes(text[first])))
        {
            first++;
        }

        if (first == text.Length)
        {
            return text;
        }

        var folded = new StringBuilder(text.Length);
        folded.Append(text, 0, first);
        for (int i = first; i < text.Length; i++)
        {
            Append(folded, text[i]);
        }

        return folded.ToString();
    }

    private static bool Changes(char c) => c - HangulBase is >= 0 and < HangulCount || Keys.Contains(c);

    private static void Append(StringBuilder folded, char c)
    {
        if (c < 0x80)
        {
            folded.Append(c);
            return;
        }

        int s = c - HangulBase;
        if (s is >= 0 and < HangulCount)
        {
            folded.Append((char)(JamoL + (s / (VCount * TCount))));
            folded.Append((char)(JamoV + (s % (VCount * TCount) / TCount)));
            if (s % TCount != 0)
            {
                folded.Append((char)(JamoT + (s % TCount)));
            }

            return;
        }

        int at = Keys.AsSpan().BinarySearch(c);
        if (at < 0)
        {
            folded.Append(c);
            return;
        }

        var offsets = Offsets;
        folded.Append(Values, offsets[at], offsets[at + 1] - offsets[at]);
    }
}
