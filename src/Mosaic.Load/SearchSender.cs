using System.Net.Http.Headers;
using System.Net.Sockets;

namespace Mosaic.Load;

/// <summary>Sends one pre-serialized search and classifies the answer; never throws for a failed request.</summary>
public sealed class SearchSender(HttpClient http, string collection, TimeSpan timeout)
{
    private readonly Uri _path = new($"collections/{Uri.EscapeDataString(collection)}/search", UriKind.Relative);

    public async Task<Outcome> SendAsync(byte[] body, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, _path) { Content = content };
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, deadline.Token).ConfigureAwait(false);
            byte[] answer = await response.Content.ReadAsByteArrayAsync(deadline.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return Outcome.Failed($"http_{(int)response.StatusCode}");
            }

            // The server writes compact JSON, so a byte search is enough and keeps parsing out of the timed path.
            if (answer.AsSpan().IndexOf("\"partial\":true"u8) >= 0)
            {
                return Outcome.Partial;
            }

            return answer.AsSpan().IndexOf("\"hits\":[]"u8) >= 0 ? Outcome.Empty : Outcome.Ok;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return Outcome.Failed("timeout");
        }
        catch (HttpRequestException ex) when (ex.InnerException is SocketException socket)
        {
            return Outcome.Failed("socket_" + socket.SocketErrorCode.ToString().ToLowerInvariant());
        }
        catch (HttpRequestException ex)
        {
            return Outcome.Failed("http_error_" + (ex.HttpRequestError.ToString().ToLowerInvariant()));
        }
        catch (IOException)
        {
            return Outcome.Failed("io");
        }
    }
}
