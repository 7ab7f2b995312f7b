using System.Text.Json.Nodes;
using Mosaic.Testing;

namespace Mosaic.IntegrationTests.Access;

/// <summary>Keyword searches in a loop from a few clients until stopped: a repeated one (cache hits) and fresh ones (misses
/// that write to L2). Counts answers and keeps every answer that was not 200.</summary>
internal sealed class SearchLoad
{
    private readonly List<string> _failures = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _clients;
    private long _answered;

    private SearchLoad(MosaicHttp http, string collection, string repeated, int clients)
    {
        _clients = Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            for (int i = 0; !_stop.IsCancellationRequested && i < 20_000; i++)
            {
                string word = i % 3 == 0 ? $"fresh{client}x{i}" : repeated;
                var r = await http.PostAsync($"collections/{collection}/search", new JsonObject { ["mode"] = "keyword", ["query"] = word, ["top_k"] = 10 });
                if (r.StatusCode != 200)
                {
                    lock (_failures)
                    {
                        _failures.Add(r.Describe());
                    }
                }

                Interlocked.Increment(ref _answered);
            }
        })).ToArray();
    }

    public long Answered => Interlocked.Read(ref _answered);

    public static SearchLoad Start(MosaicHttp http, string collection, string repeated, int clients = 4) => new(http, collection, repeated, clients);

    /// <summary>Waits until <paramref name="n"/> more searches were answered (or the clients ran out of searches).</summary>
    public async Task MoreAsync(long n)
    {
        long target = Answered + n;
        await Wait.WaitUntilAsync(() => Answered >= target || _clients.Any(t => t.IsCompleted), TimeSpan.FromSeconds(60), $"{n} more searches");
    }

    /// <summary>Stops the clients; every answer that was not 200.</summary>
    public async Task<List<string>> StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_clients);
        _stop.Dispose();
        lock (_failures)
        {
            return [.. _failures];
        }
    }
}
