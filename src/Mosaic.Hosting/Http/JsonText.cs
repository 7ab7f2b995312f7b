using System.Buffers;
using System.Text;
using Mosaic.Core.Errors;

namespace Mosaic.Hosting.Http;

/// <summary>Checks a request body's text before it is parsed: valid UTF-8, no lone surrogate escapes, a leading BOM dropped.</summary>
/// <remarks>
/// The JSON reader checks neither when it only skips over a value: a <c>JsonElement</c> (a search filter, a document's
/// <c>fields</c>, an embedding input) can hold invalid UTF-8 or an escaped lone surrogate (<c>"\ud800"</c>), and reading it
/// later as a string throws <see cref="InvalidOperationException"/>, which is a 500, not the caller's 400. Checking the
/// whole body once here keeps every reader downstream safe. <c>Utf8.IsValid</c> is vectorized, and escapes are looked at
/// only where the body has a backslash, so a body costs a pass at memory speed.
/// </remarks>
internal static class JsonText
{
    private static readonly SearchValues<byte> Backslash = SearchValues.Create((byte)'\\');

    /// <summary>The body without a leading UTF-8 BOM; throws a 400 <c>invalid_json</c> naming the byte when its text is not valid.</summary>
    /// <param name="where">Prefix of the error detail (e.g. a bulk line's "line 3: " is added by the caller; here "" or a path).</param>
    public static ReadOnlySpan<byte> Checked(ReadOnlySpan<byte> json, string where)
    {
        // What stream readers and JsonDocument skip too; a file saved by a Windows editor starts with one.
        if (json.StartsWith("\uFEFF"u8))
        {
            json = json[3..];
        }

        if (!System.Text.Unicode.Utf8.IsValid(json))
        {
            throw Invalid(where, $"is not valid UTF-8 (at byte {FirstInvalidByte(json)})");
        }

        int at = json.IndexOfAny(Backslash);
        while (at >= 0)
        {
            int next = at + 1;
            if (next < json.Length && json[next] == (byte)'u' && Hex(json, next + 1) is int unit)
            {
                if (char.IsLowSurrogate((char)unit))
                {
                    throw Invalid(where, $"has an unpaired surrogate escape \\u{unit:x4} (at byte {at})");
                }

                if (char.IsHighSurrogate((char)unit))
                {
                    int low = next + 5;
                    if (low + 1 >= json.Length || json[low] != (byte)'\\' || json[low + 1] != (byte)'u' || Hex(json, low + 2) is not int pair || !char.IsLowSurrogate((char)pair))
                    {
                        throw Invalid(where, $"has an unpaired surrogate escape \\u{unit:x4} (at byte {at})");
                    }

                    next = low + 1;
                }
            }

            // Past the escaped character: "\\" must not start another escape.
            int rest = next + 1;
            at = rest >= json.Length ? -1 : json[rest..].IndexOfAny(Backslash) is int found and >= 0 ? rest + found : -1;
        }

        return json;
    }

    private static int? Hex(ReadOnlySpan<byte> json, int start) =>
        start + 4 <= json.Length && int.TryParse(json.Slice(start, 4), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out int value)
            ? value
            : null;

    private static int FirstInvalidByte(ReadOnlySpan<byte> json)
    {
        int at = 0;
        while (at < json.Length && Rune.DecodeFromUtf8(json[at..], out _, out int consumed) == OperationStatus.Done)
        {
            at += consumed;
        }

        return at;
    }

    private static MosaicException Invalid(string where, string what) =>
        new(ErrorKind.InvalidArgument, "invalid_json", $"{where}body: {what}");
}
