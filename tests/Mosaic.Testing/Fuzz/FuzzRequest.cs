using System.Text;

namespace Mosaic.Testing.Fuzz;

/// <summary>One request of the fuzz run, exactly as it goes over the wire.</summary>
/// <param name="Raw">Sent over a plain socket instead of HttpClient, so the target reaches the server unnormalized (dot segments, odd bytes).</param>
/// <param name="Mutation">What was changed from the valid request it came from (for the failure message).</param>
/// <param name="Framing">
/// The request line itself is malformed HTTP (a NUL or a raw space in the target, a fragment) or past the line limit:
/// Kestrel refuses the first before any of Mosaic runs, with a bare 4xx that no middleware can give a body; the second is
/// Mosaic's 414 with an error body up to Kestrel's own ceiling (<c>RequestLimits</c>), Kestrel's bare 414 past it.
/// </param>
public sealed record FuzzRequest(
    string Method,
    string Target,
    byte[]? Body,
    string? ContentType,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    bool Raw,
    string Mutation,
    bool Framing = false)
{
    public static FuzzRequest Json(string method, string target, string? body, string mutation = "none") =>
        new(method, target, body is null ? null : Encoding.UTF8.GetBytes(body), body is null ? null : "application/json", [], false, mutation);

    /// <summary>The request as text for a failure message: method, target, headers, and the body with non-printable bytes escaped.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        text.Append(Method).Append(' ').Append(Shorten(Target, 200)).Append(Raw ? " (raw socket)" : "").Append("  [mutation: ").Append(Shorten(Mutation, 300)).Append(']');
        if (ContentType is not null)
        {
            text.Append("\n  Content-Type: ").Append(ContentType);
        }

        foreach (var (key, value) in Headers)
        {
            text.Append("\n  ").Append(key).Append(": ").Append(Shorten(value, 200));
        }

        if (Body is not null)
        {
            text.Append("\n  body (").Append(Body.Length).Append(" bytes): ").Append(Shorten(Printable(Body), 1500));
        }

        return text.ToString();
    }

    private static string Printable(byte[] body)
    {
        string decoded = new UTF8Encoding(false, false).GetString(body);
        var text = new StringBuilder(decoded.Length);
        foreach (char c in decoded)
        {
            text.Append(c is < ' ' and not '\n' || c == '\uFFFD' ? $"\\u{(int)c:x4}" : c.ToString());
        }

        return text.ToString();
    }

    private static string Shorten(string s, int max) => s.Length <= max ? s : $"{s[..max]}... ({s.Length} chars)";
}
