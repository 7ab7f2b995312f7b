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
    private Task<FuzzAnswer> SendRawAsync(FuzzRequest request, CancellationToken ct)
    {
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
        return RawHttp.ExchangeAsync(baseUri, [.. Encoding.Latin1.GetBytes(head.ToString()), .. request.Body ?? []], ct);
    }

    public void Dispose() => _client.Dispose();
}
