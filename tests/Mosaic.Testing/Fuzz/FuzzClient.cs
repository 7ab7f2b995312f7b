using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace Mosaic.Testing.Fuzz;

/// <summary>The answer to one fuzz request: status, content type and body text.</summary>
public sealed record FuzzAnswer(int Status, string? ContentType, string Body);

/// <summary>Sends <see cref="FuzzRequest"/>s with HttpClient, or over a plain socket when the target must arrive unnormalized.</summary>
/// <remarks>Every request has a deadline: no answer within it is reported as a hang, not waited out.</remarks>
/// <param name="always">Headers every request carries unless it names the same header itself (e.g. a valid API key).</param>
public sealed class FuzzClient(Uri baseUri, TimeSpan deadline, IReadOnlyList<KeyValuePair<string, string>>? always = null) : IDisposable
{
    private readonly HttpClient _client = new(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = baseUri, Timeout = Timeout.InfiniteTimeSpan };

    public async Task<FuzzAnswer> SendAsync(FuzzRequest request)
    {
        if (always is { Count: > 0 })
        {
            request = request with { Headers = [.. request.Headers, .. always.Where(a => !request.Headers.Any(h => string.Equals(h.Key, a.Key, StringComparison.OrdinalIgnoreCase)))] };
        }

        using var cts = new CancellationTokenSource(deadline);
        try
        {
            return request.Raw ? await SendRawAsync(request, cts.Token) : await SendHttpAsync(request, cts.Token);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"no answer within {deadline.TotalSeconds:0} s");
        }
    }

    private async Task<FuzzAnswer> SendHttpAsync(FuzzRequest request, CancellationToken ct)
    {
        // As written: the client must not resolve dot segments or unescape the target (the server has to cope with both).
        var target = new Uri(baseUri + request.Target, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), target);
        if (request.Body is not null)
        {
            message.Content = new ByteArrayContent(request.Body);
            message.Content.Headers.ContentType = null;
            if (request.ContentType is not null)
            {
                message.Content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);
            }
        }

        foreach (var (key, value) in request.Headers)
        {
            if (!message.Headers.TryAddWithoutValidation(key, value))
            {
                message.Content?.Headers.TryAddWithoutValidation(key, value);
            }
        }

        using var response = await _client.SendAsync(message, HttpCompletionOption.ResponseContentRead, ct);
        string body = await response.Content.ReadAsStringAsync(ct);
        return new FuzzAnswer((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, body);
    }

    /// <summary>HTTP/1.1 written by hand, one request per connection (Connection: close), the answer read to the end.</summary>
    private async Task<FuzzAnswer> SendRawAsync(FuzzRequest request, CancellationToken ct)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(baseUri.Host, baseUri.Port, ct);
        await using var stream = tcp.GetStream();
        var head = new StringBuilder();
        head.Append(request.Method).Append(" /").Append(request.Target).Append(" HTTP/1.1\r\n");
        head.Append("Host: ").Append(baseUri.Authority).Append("\r\nConnection: close\r\n");
        if (request.Body is not null)
        {
            head.Append("Content-Length: ").Append(request.Body.Length).Append("\r\n");
            if (request.ContentType is not null)
            {
                head.Append("Content-Type: ").Append(request.ContentType).Append("\r\n");
            }
        }

        foreach (var (key, value) in request.Headers)
        {
            head.Append(key).Append(": ").Append(value).Append("\r\n");
        }

        head.Append("\r\n");
        // Latin-1 keeps any char of the target a single byte, as a client that sends raw bytes would.
        await stream.WriteAsync(Encoding.Latin1.GetBytes(head.ToString()), ct);
        if (request.Body is not null)
        {
            await stream.WriteAsync(request.Body, ct);
        }

        using var answer = new MemoryStream();
        await stream.CopyToAsync(answer, ct);
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

    public void Dispose() => _client.Dispose();
}
