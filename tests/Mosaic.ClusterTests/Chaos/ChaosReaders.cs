using System.Net;
using System.Text.Json.Nodes;
using Mosaic.ClusterTests.Cluster;
using Mosaic.Testing;

namespace Mosaic.ClusterTests.Chaos;

/// <summary>
/// Searchers through every coordinator: vector, keyword and hybrid searches for the whole collection (top_k 1000), with
/// allow_partial true or false, with or without a consistency token covering every write acknowledged so far.
/// </summary>
/// <remarks>
/// Every answer must be honest: 200 with partial false only when every shard answered (coverage 1, no failure); 503 only
/// when allow_partial is false or nothing answered, with the shard report; never another 5xx, never a 4xx to a valid search;
/// never more than <see cref="DeadlineSlack"/> past its timeout_ms.
/// A complete answer after a token must hold every document acknowledged present before the search (and none acknowledged
/// deleted), leaving out ids a write touched meanwhile.
/// </remarks>
public sealed class ChaosReaders(IReadOnlyList<MosaicHttp> coordinators, string collection, ChaosLedger ledger, ChaosReport report, int seed)
{
    public const int TopK = 1000;

    /// <summary>Every search's timeout_ms.</summary>
    public const int TimeoutMs = 5000;

    /// <summary>How far past its timeout_ms an answer may come: a bound for correctness, not speed (a search once answered
    /// 3.7 s late while a worker was stopped; the deadline is the only thing that ends a wait on a stopped worker).</summary>
    private static readonly TimeSpan DeadlineSlack = TimeSpan.FromSeconds(2);

    private static readonly string[] Modes = ["vector", "keyword", "hybrid"];

    public async Task RunAsync(int reader, CancellationToken stop)
    {
        var random = new Random(seed * 17 + reader);
        var vectors = new ClusteredVectors(seed + 2000 + reader, ClusterDocs.Dimension, clusters: 4);
        while (!stop.IsCancellationRequested)
        {
            var snapshot = ledger.Snapshot();
            string mode = Modes[random.Next(Modes.Length)];
            bool allowPartial = random.Next(2) == 0;
            bool withToken = snapshot.Token is not null && random.Next(4) != 0;
            var search = Search(mode, vectors.Next(), allowPartial, withToken ? snapshot.Token : null);
            var http = coordinators[random.Next(coordinators.Count)];
            string what = $"{mode} search via {http.BaseUrl} (allow_partial {allowPartial}, {(withToken ? "after a token" : "no token")})";
            ApiResponse r;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                r = await http.PostAsync($"collections/{collection}/search", search);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                report.Count($"search:{ex.GetType().Name}");
                await Task.Delay(100, CancellationToken.None);
                continue;
            }

            var elapsed = clock.Elapsed;
            report.Count($"search:{r.StatusCode}");
            string? problem = r.Status switch
            {
                HttpStatusCode.OK => CheckAnswer(r.Object, withToken ? snapshot : null),
                HttpStatusCode.ServiceUnavailable => CheckRefusal(r, allowPartial, $"[{DateTime.Now:HH:mm:ss.fff}] {what} ({clock.ElapsedMilliseconds} ms)"),
                _ => $"status {r.StatusCode}",
            };
            if (problem is null && elapsed > TimeSpan.FromMilliseconds(TimeoutMs) + DeadlineSlack)
            {
                problem = $"answered after {elapsed.TotalMilliseconds:F0} ms, timeout_ms {TimeoutMs}";
            }
            if (problem is not null)
            {
                report.Violation($"{what}: {problem}; {r.Describe()}");
            }
        }
    }

    /// <summary>A search that lists the whole collection: every document has the common word and top_k reaches them all.</summary>
    public static JsonObject Search(string mode, float[] vector, bool allowPartial, string? token)
    {
        var search = mode == "keyword"
            ? ClusterDocs.KeywordAll(TopK, TimeoutMs, allowPartial, token)
            : ClusterDocs.VectorAll(vector, TopK, TimeoutMs, allowPartial);
        if (mode == "hybrid")
        {
            search["mode"] = "hybrid";
            search["query"] = ClusterDocs.CommonWord;
        }

        if (token is not null)
        {
            search["consistency"] = new JsonObject { ["after"] = token };
        }

        return search;
    }

    private string? CheckAnswer(JsonObject o, ChaosSnapshot? snapshot)
    {
        bool partial = o["partial"]?.GetValue<bool>() ?? true;
        int failed = o["shards"]?["failed"]?.GetValue<int>() ?? -1;
        double coverage = o["coverage"]?.GetValue<double>() ?? -1;
        if (!partial && (failed != 0 || coverage != 1.0))
        {
            return "partial false but a shard failed or coverage < 1";
        }

        if (partial && failed == 0 && coverage == 1.0)
        {
            return "partial true but every shard answered";
        }

        var ids = MosaicHttp.HitIds(o);
        var duplicates = ids.GroupBy(i => i, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (duplicates.Count > 0)
        {
            return $"duplicate hits [{string.Join(',', duplicates.Take(10))}]";
        }

        if (partial)
        {
            report.Count("search:partial");
        }

        if (snapshot is null || partial)
        {
            return null;
        }

        var touched = ledger.TouchedSince(snapshot.Stamp);
        var got = ids.ToHashSet(StringComparer.Ordinal);
        var missing = snapshot.Present.Where(id => !got.Contains(id) && !touched.Contains(id)).ToList();
        var resurrected = snapshot.Gone.Where(id => got.Contains(id) && !touched.Contains(id)).ToList();
        report.Count("search:checked-after-token");
        return missing.Count == 0 && resurrected.Count == 0
            ? null
            : $"complete answer after a token: {ids.Count} hits, missing {missing.Count} acknowledged [{string.Join(',', missing.Take(10))}], "
                + $"{resurrected.Count} acknowledged deleted present [{string.Join(',', resurrected.Take(10))}]";
    }

    private string? CheckRefusal(ApiResponse r, bool allowPartial, string what)
    {
        var o = r.Json as JsonObject;
        if (o?["error"] is null || o["detail"] is null)
        {
            return "503 body is not {error, detail}";
        }

        report.Count($"search:503:{o["error"]}", $"{what}: {r.Describe()}");
        if (o["shards"] is not JsonObject shards)
        {
            // Not a coverage refusal: e.g. a coordinator started while the store is down has no catalog to route by.
            return null;
        }

        return !allowPartial || shards["ok"]?.GetValue<int>() == 0 ? null : "503 with allow_partial true while some shard answered";
    }
}
