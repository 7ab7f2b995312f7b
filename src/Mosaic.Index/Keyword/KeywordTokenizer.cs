using System.Runtime.CompilerServices;
using System.Text;

namespace Mosaic.Index.Keyword;

/// <summary>Streams the terms of a text without allocating; see <see cref="KeywordAnalyzer"/> for the rules.</summary>
/// <remarks>Each term returned by <see cref="Next"/> lives in the scratch buffer and is valid until the next call.</remarks>
public ref struct KeywordTokenizer
{
    private readonly ReadOnlySpan<char> _text;
    private readonly Span<char> _scratch;
    private int _pos;

    public KeywordTokenizer(ReadOnlySpan<char> text, Span<char> scratch)
    {
        if (scratch.Length < KeywordAnalyzer.ScratchLength)
        {
            throw new ArgumentException($"scratch must hold {KeywordAnalyzer.ScratchLength} chars", nameof(scratch));
        }

        _text = text;
        _scratch = scratch;
        _pos = 0;
    }

    private enum Kind : byte
    {
        Other,
        Letter,
        Digit,
        Extend,
        Ideograph,
    }

    /// <summary>Moves to the next term; false at the end of the text.</summary>
    public bool Next(out ReadOnlySpan<char> term)
    {
        var text = _text;
        while (_pos < text.Length)
        {
            var kind = Classify(text, _pos, out int width);
            if (kind == Kind.Other)
            {
                _pos += width;
                continue;
            }

            int start = _pos;
            if (kind == Kind.Ideograph)
            {
                _pos += width;
                term = text.Slice(start, width);
                return true;
            }

            int end = _pos + width;
            var last = kind;
            while (end < text.Length && end - start < KeywordAnalyzer.MaxTokenLength)
            {
                var next = Classify(text, end, out int w);
                if (next is Kind.Letter or Kind.Digit or Kind.Extend)
                {
                    if (next != Kind.Extend)
                    {
                        last = next;
                    }

                    end += w;
                    continue;
                }

                if (next == Kind.Other && w == 1 && end + 1 < text.Length && JoinsAcross(TermFolding.Narrow(text[end]), last, Classify(text, end + 1, out _)))
                {
                    end += 1;
                    continue;
                }

                break;
            }

            _pos = end;
            int length = Fold(text[start..end], _scratch);
            if (length > 0)
            {
                term = _scratch[..length];
                return true;
            }
        }

        term = default;
        return false;
    }

    /// <summary>Word-break rules WB6/7 (letters) and WB11/12 (digits) of UAX #29, for the common mid-word characters.</summary>
    private static bool JoinsAcross(char mid, Kind before, Kind after) => before == after && (before == Kind.Letter
        ? mid is '\'' or '.' or '\u2019' or ':' or '\u00B7'
        : before == Kind.Digit && mid is ',' or '.' or ';' or '\'' or '\u2019');

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Kind Classify(ReadOnlySpan<char> text, int pos, out int width)
    {
        char c = text[pos];
        width = 1;
        if (c < 0x80)
        {
            return AsciiKinds[c];
        }

        char narrow = TermFolding.Narrow(c);
        return narrow < 0x80 ? AsciiKinds[narrow] : ClassifySlow(text, pos, ref width);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Kind ClassifySlow(ReadOnlySpan<char> text, int pos, ref int width)
    {
        char c = text[pos];
        if (char.IsHighSurrogate(c) && pos + 1 < text.Length && char.IsLowSurrogate(text[pos + 1]))
        {
            width = 2;
            int code = char.ConvertToUtf32(c, text[pos + 1]);
            if (code is >= 0x20000 and <= 0x3FFFF)
            {
                return Kind.Ideograph;
            }

            var rune = new Rune(code);
            return Rune.IsDigit(rune) ? Kind.Digit : Rune.IsLetterOrDigit(rune) ? Kind.Letter : Kind.Other;
        }

        if (c is (>= '\u3400' and <= '\u4DBF') or (>= '\u4E00' and <= '\u9FFF') or (>= '\uF900' and <= '\uFAFF') or (>= '\u3040' and <= '\u309F'))
        {
            return Kind.Ideograph;
        }

        if (char.IsDigit(c))
        {
            return Kind.Digit;
        }

        if (char.IsLetter(c))
        {
            return Kind.Letter;
        }

        return char.GetUnicodeCategory(c) switch
        {
            System.Globalization.UnicodeCategory.NonSpacingMark or System.Globalization.UnicodeCategory.SpacingCombiningMark
                or System.Globalization.UnicodeCategory.EnclosingMark or System.Globalization.UnicodeCategory.ConnectorPunctuation => Kind.Extend,
            System.Globalization.UnicodeCategory.LetterNumber or System.Globalization.UnicodeCategory.OtherNumber => Kind.Digit,
            _ => Kind.Other,
        };
    }

    /// <summary>Lower-cases and folds one token into <paramref name="output"/>; returns its length (0 if only marks).</summary>
    private static int Fold(ReadOnlySpan<char> token, Span<char> output)
    {
        int n = 0;
        foreach (char c in token)
        {
            if (c < 0x80)
            {
                output[n++] = c is >= 'A' and <= 'Z' ? (char)(c | 0x20) : c;
                continue;
            }

            if (c < TermFolding.TableLength)
            {
                char f = TermFolding.Table[c];
                if (f == TermFolding.Drop)
                {
                    continue;
                }

                if (f == TermFolding.Expand)
                {
                    foreach (char e in TermFolding.Expansion(c))
                    {
                        output[n++] = e;
                    }

                    continue;
                }

                output[n++] = f;
                continue;
            }

            char narrow = TermFolding.Narrow(c);
            if (narrow != c)
            {
                output[n++] = narrow is >= 'A' and <= 'Z' ? (char)(narrow | 0x20) : narrow;
                continue;
            }

            if (TermFolding.Ligature(c) is { } letters)
            {
                foreach (char e in letters)
                {
                    output[n++] = e;
                }

                continue;
            }

            output[n++] = char.IsSurrogate(c) ? c : char.ToLowerInvariant(c);
        }

        return n;
    }

    private static readonly Kind[] AsciiKinds = BuildAscii();

    private static Kind[] BuildAscii()
    {
        var kinds = new Kind[128];
        for (int c = 0; c < 128; c++)
        {
            kinds[c] = c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' ? Kind.Letter
                : c is >= '0' and <= '9' ? Kind.Digit
                : c == '_' ? Kind.Extend
                : Kind.Other;
        }

        return kinds;
    }
}
