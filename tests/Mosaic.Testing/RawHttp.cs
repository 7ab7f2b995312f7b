using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Mosaic.Testing.Fuzz;

namespace Mosaic.Testing;

/// <summary>HTTP/1.1 over a plain socket, one request per connection: for what HttpClient will not send as written (an
/// unnormalized target, a request line or headers past a limit, a malformed chunked body).</summary>
public static class RawHttp
{
    /// <summary>Writes <paramref name="request"/> as it is (it should say <c>Connection: close</c>) and reads the answer to the end.</summary>
    /// <remarks>A server may answer before it has read all of a bad request and close the connection: what it did answer is returned.</remarks>
    public static async Task<FuzzAnswer> ExchangeAsync(Uri baseUri, byte[] request, CancellationToken ct)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(baseUri.Host, baseUri.Port, ct);
        await using var stream = tcp.GetStream();
        try
        {
            await stream.WriteAsync(request, ct);
        }
        catch (IOException)
        {
            // Refused part-way (the server answered and closed): read what it said.
        }

        using var answer = new MemoryStream();
        try
        {
            await stream.CopyToAsync(answer, ct);
        }
        catch (IOException) when (answer.Length > 0)
        {
            // A reset after the answer (the server closed with unread request bytes): the answer is complete.
        }

        return Parse(answer.ToArray());
    }

    private static FuzzAnswer Parse(byte[] bytes)
    {
        int end = bytes.AsSpan().IndexOf("\r\n\r\n"u8);
        string head = Encoding.Latin1.GetString(bytes, 0, Math.Max(0, end));
        if (end < 0 || !head.StartsWith("HTTP/1.1 ", StringComparison.Ordinal))
        {
            throw new IOException($"not an HTTP answer: '{Encoding.Latin1.GetString(bytes, 0, Math.Min(200, bytes.Length))}'");
        }

        var lines = head.Split("\r\n");
        int status = int.Parse(lines[0].AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).Where(p => p.Length == 2)
            .GroupBy(p => p[0].Trim(), StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First()[1].Trim(), StringComparer.OrdinalIgnoreCase);
        byte[] body = bytes[(end + 4)..];
        if (headers.TryGetValue("Transfer-Encoding", out var encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            body = Dechunk(body);
        }

        string? type = headers.TryGetValue("Content-Type", out var t) && MediaTypeHeaderValue.TryParse(t, out var media) ? media.MediaType : null;
        return new FuzzAnswer(status, type, Encoding.UTF8.GetString(body));
    }

    private static byte[] Dechunk(byte[] body)
    {
        using var text = new MemoryStream();
        int at = 0;
        while (at < body.Length)
        {
            int line = body.AsSpan(at).IndexOf("\r\n"u8);
            if (line < 0)
            {
                break;
            }

            int size = Convert.ToInt32(Encoding.Latin1.GetString(body, at, line).Split(';')[0].Trim(), 16);
            if (size == 0)
            {
                break;
            }

            int from = at + line + 2;
            text.Write(body, from, Math.Min(size, body.Length - from));
            at = from + size + 2;
        }

        return text.ToArray();
    }
}
