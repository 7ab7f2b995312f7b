using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Mosaic.ClusterTests.Cluster;
using Mosaic.Core.Consistency;
using Mosaic.Testing;

namespace Mosaic.ClusterTests.Elastic;

/// <summary>
/// Searches and writes at once while the cluster changes shape. Every search must answer 200, complete (not partial, no
/// failed shard, coverage 1); with <c>exhaustive</c>, it asks for the whole collection and must hold every document
/// acknowledged before it started, each exactly once, reading after the merged token of those writes. The writer adds
/// documents in small bulks and remembers what was acknowledged.
/// </summary>
/// <remarks>Bounded: stops by itself after <c>maxDuration</c>.</remarks>
public sealed class LiveLoad : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<string> _problems = new();
    private readonly ConcurrentDictionary<string, bool> _acked = new(StringComparer.Ordinal);
    private readonly List<Task> _tasks = [];
    private readonly Lock _tokenLock = new();
    private readonly Dictionary<int, long> _seen = [];
    private long _collectionId = -1;
    private long _searches;
    private long _written;

    private LiveLoad(IReadOnlyList<MosaicHttp> coordinators, string collection, IEnumerable<string> loaded, ClusteredVectors vectors, int searchers, bool write, bool exhaustive, TimeSpan maxDuration)
    {
        foreach (var id in loaded)
        {
            _acked[id] = true;
        }

        var clock = Stopwatch.StartNew();
        // The writer alone draws from `vectors` after this (it is not thread-safe).
        var queries = vectors.Take(16);
        for (int c = 0; c < searchers; c++)
        {
            int client = c;
            _tasks.Add(Task.Run(async () =>
            {
                for (long i = client; !_stop.IsCancellationRequested && clock.Elapsed < maxDuration; i++)
                {
                    HashSet<string> before;
                    string? token;
                    lock (_tokenLock)
                    {
                        before = _acked.Keys.ToHashSet(StringComparer.Ordinal);
                        token = _collectionId < 0 ? null : new ConsistencyToken(_collectionId, new Dictionary<int, long>(_seen)).Encode();
                    }

                    var http = coordinators[(int)(i % coordinators.Count)];
                    var search = i % 2 == 0 || exhaustive
                        ? ClusterDocs.KeywordAll(exhaustive ? 1000 : 10, 10_000, token: exhaustive ? token : null)
                        : ClusterDocs.VectorAll(queries[(int)(i % queries.Length)], 10, 10_000);
                    string? problem = await CheckAsync(http, collection, search, exhaustive ? before : null);
                    long n = Interlocked.Increment(ref _searches);
                    if (problem is not null)
                    {
                        _problems.Enqueue($"search #{n} at {DateTime.Now:HH:mm:ss.fff}: {problem}");
                    }
                }
            }));
        }

        if (write)
        {
            _tasks.Add(Task.Run(async () =>
            {
                // Exhaustive searches ask for top_k 1000, the most a search returns: the collection must stay below it.
                for (int batch = 0; !_stop.IsCancellationRequested && clock.Elapsed < maxDuration && (!exhaustive || _acked.Count <= 900); batch++)
                {
                    var docs = ClusterDocs.Make(vectors, $"live{batch}-", 10);
                    var http = coordinators[batch % coordinators.Count];
                    try
                    {
                        var r = await http.BulkAsync(collection, docs.Select(d => d.Line()));
                        if (r.Status == HttpStatusCode.OK)
                        {
                            LastToken = r.Object["token"]!.GetValue<string>();
                            lock (_tokenLock)
                            {
                                // Exhaustive searches read after every acknowledged write: merge the tokens, slot by slot.
                                if (ConsistencyToken.TryParse(LastToken, out var written))
                                {
                                    _collectionId = written!.CollectionId;
                                    foreach (var (slot, seq) in written.SlotSeqs)
                                    {
                                        _seen[slot] = Math.Max(_seen.GetValueOrDefault(slot), seq);
                                    }
                                }

                                foreach (var d in docs)
                                {
                                    _acked[d.Id] = true;
                                }
                            }

                            Interlocked.Add(ref _written, docs.Count);
                        }
                        else
                        {
                            _problems.Enqueue($"write of batch {batch}: {r.Describe()}");
                        }
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                    {
                        _problems.Enqueue($"write of batch {batch}: no answer ({ex.Message})");
                    }

                    await Task.Delay(50);
                }
            }));
        }
    }

    public long Searches => Interlocked.Read(ref _searches);

    public long Written => Interlocked.Read(ref _written);

    /// <summary>Every id acknowledged so far (loaded before the start plus written since).</summary>
    public IReadOnlySet<string> Acked => _acked.Keys.ToHashSet(StringComparer.Ordinal);

    /// <summary>The token of the last acknowledged write.</summary>
    public string? LastToken { get; private set; }

    public IReadOnlyList<string> Problems => [.. _problems];

    public static LiveLoad Start(IReadOnlyList<MosaicHttp> coordinators, string collection, IEnumerable<string> loaded, ClusteredVectors vectors,
        int searchers = 2, bool write = true, bool exhaustive = false, TimeSpan? maxDuration = null) =>
        new(coordinators, collection, loaded, vectors, searchers, write, exhaustive, maxDuration ?? TimeSpan.FromMinutes(4));

    public Task WaitForMoreAsync(long more, TimeSpan timeout)
    {
        long target = Searches + more;
        return Wait.WaitUntilAsync(() => Searches >= target, timeout, $"{more} more searches answered (at {Searches})");
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_tasks);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private static async Task<string?> CheckAsync(MosaicHttp http, string collection, JsonObject search, IReadOnlySet<string>? mustHold)
    {
        ApiResponse r;
        try
        {
            r = await http.PostAsync($"collections/{collection}/search", search);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return $"no answer from {http.BaseUrl} ({ex.Message})";
        }

        if (r.Status != HttpStatusCode.OK)
        {
            return r.Describe();
        }

        var o = r.Object;
        if (o["partial"]!.GetValue<bool>() || o["shards"]!["failed"]!.GetValue<int>() != 0 || o["coverage"]!.GetValue<double>() != 1.0)
        {
            return $"incomplete answer via {http.BaseUrl}: partial {o["partial"]}, coverage {o["coverage"]}, shards {o["shards"]!.ToJsonString()}";
        }

        if (mustHold is null)
        {
            return null;
        }

        var ids = MosaicHttp.HitIds(o);
        var duplicates = ids.GroupBy(i => i).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        var missing = mustHold.Except(ids).ToList();
        return duplicates.Count == 0 && missing.Count == 0
            ? null
            : $"exhaustive search via {http.BaseUrl}: {ids.Count} hits, duplicates [{string.Join(',', duplicates.Take(10))}], missing {missing.Count} [{string.Join(',', missing.Take(10))}]";
    }
}
