using System.Collections.Concurrent;
using System.Diagnostics;
using Mosaic.Testing;

namespace Mosaic.ClusterTests.Cluster;

/// <summary>
/// A steady search load: each client loops over the coordinators, alternating a keyword and a vector search that must
/// both return every expected document, and records every answer that is not complete.
/// </summary>
/// <remarks>
/// Bounded: stops by itself after <c>maxQueries</c> searches (default: no limit) or <c>maxDuration</c> (default 10 minutes),
/// whichever comes first. A test that waits for more searches after that fails, rather than seeing no traffic and reading
/// silence as a result (a fixed 20,000-search budget once ran out mid-test on a fast machine).
/// </remarks>
public sealed class QueryLoad : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<string> _problems = new();
    private readonly Task[] _clients;
    private long _completed;

    private QueryLoad(IReadOnlyList<MosaicHttp> coordinators, string collection, IReadOnlySet<string> expected, IReadOnlyList<float[]> vectors, int clients, int timeoutMs, long maxQueries, TimeSpan maxDuration)
    {
        var clock = Stopwatch.StartNew();
        long issued = 0;
        _clients = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            for (long i = c; !_stop.IsCancellationRequested && clock.Elapsed < maxDuration; i++)
            {
                if (Interlocked.Increment(ref issued) > maxQueries)
                {
                    return;
                }

                var http = coordinators[(int)(i % coordinators.Count)];
                var search = i % 2 == 0
                    ? ClusterDocs.KeywordAll(expected.Count, timeoutMs)
                    : ClusterDocs.VectorAll(vectors[(int)(i / 2 % vectors.Count)], expected.Count, timeoutMs);
                var problem = await ClusterDocs.IncompletenessAsync(http, collection, search, expected);
                long n = Interlocked.Increment(ref _completed);
                if (problem is not null)
                {
                    _problems.Enqueue($"query #{n} at {DateTime.Now:HH:mm:ss.fff}: {problem}");
                }
            }
        })).ToArray();
    }

    /// <summary>Searches answered so far (complete or not).</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>Every answer that was not complete, in order.</summary>
    public IReadOnlyList<string> Problems => [.. _problems];

    /// <summary>True when every client ended by itself (query or time budget spent).</summary>
    public bool Exhausted => _clients.All(c => c.IsCompleted);

    public static QueryLoad Start(IReadOnlyList<MosaicHttp> coordinators, string collection, IReadOnlySet<string> expected, IReadOnlyList<float[]> vectors,
        int clients = 2, int timeoutMs = 5000, long maxQueries = long.MaxValue, TimeSpan? maxDuration = null) =>
        new(coordinators, collection, expected, vectors, clients, timeoutMs, maxQueries, maxDuration ?? TimeSpan.FromMinutes(10));

    /// <summary>Waits until <paramref name="more"/> further searches have been answered; throws if the load ended first.</summary>
    public async Task WaitForMoreAsync(long more, TimeSpan timeout)
    {
        long target = Completed + more;
        await Wait.WaitUntilAsync(() => Completed >= target || Exhausted, timeout, $"{more} more searches answered (at {Completed})");
        if (Completed < target)
        {
            throw new InvalidOperationException($"The search load ended (its query or time budget is spent) at {Completed} searches, before {more} more were answered.");
        }
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_clients);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }
}
