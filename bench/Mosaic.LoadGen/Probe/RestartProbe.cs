using System.Diagnostics;
using System.Text.Json;
using Mosaic.Contracts;

namespace Mosaic.LoadGen.Probe;

/// <summary>Polls a starting server until it is up (/health), ready (/ready 200) and answers a full search (200, not partial, hits).</summary>
/// <remarks>Bounded by the overall timeout; each poll has its own 2 s timeout; polls are <c>interval</c> apart.</remarks>
internal sealed class RestartProbe(HttpClient http, string collection, byte[] searchBody, TimeSpan interval, TimeSpan timeout)
{
    private static readonly TimeSpan PollTimeout = TimeSpan.FromSeconds(2);

    public static double NowEpochMs() => (DateTime.UtcNow - DateTime.UnixEpoch).TotalMilliseconds;

    public async Task<ProbeResult> RunAsync(double? sinceEpochMs, CancellationToken ct)
    {
        double probeStart = NowEpochMs();
        double since = sinceEpochMs ?? probeStart;
        long deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        long healthAttempts = 0, readyAttempts = 0, searchAttempts = 0;
        double? health = null, ready = null, search = null;
        string? notReady = null;
        int hits = 0;

        while (Stopwatch.GetTimestamp() < deadline && !ct.IsCancellationRequested)
        {
            if (health is null)
            {
                healthAttempts++;
                if ((await TryAsync(HttpMethod.Get, "health", null, ct)).Status == 200)
                {
                    health = NowEpochMs() - since;
                    continue;
                }
            }
            else if (ready is null)
            {
                readyAttempts++;
                var (status, body) = await TryAsync(HttpMethod.Get, "ready", null, ct);
                if (status == 200)
                {
                    ready = NowEpochMs() - since;
                    continue;
                }

                notReady = body;
            }
            else
            {
                searchAttempts++;
                var (status, body) = await TryAsync(HttpMethod.Post, $"collections/{Uri.EscapeDataString(collection)}/search", searchBody, ct);
                if (status == 200 && body is not null)
                {
                    var answer = JsonSerializer.Deserialize(body, MosaicJson.Api.SearchResponse);
                    if (answer is { Partial: false, Hits.Count: > 0 })
                    {
                        search = NowEpochMs() - since;
                        hits = answer.Hits.Count;
                        break;
                    }
                }
            }

            await Task.Delay(interval, ct);
        }

        return new ProbeResult(
            Math.Round(since, 3),
            Math.Round(probeStart - since, 1),
            Round(health),
            Round(ready),
            Round(search),
            hits,
            healthAttempts,
            readyAttempts,
            searchAttempts,
            notReady,
            search is null);
    }

    private static double? Round(double? ms) => ms is { } v ? Math.Round(v, 1) : null;

    private async Task<(int Status, string? Body)> TryAsync(HttpMethod method, string path, byte[]? body, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(PollTimeout);
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }

        try
        {
            using var response = await http.SendAsync(request, deadline.Token);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(deadline.Token));
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            // Not listening yet, reset while starting, or slow: poll again.
            return (0, null);
        }
    }
}
