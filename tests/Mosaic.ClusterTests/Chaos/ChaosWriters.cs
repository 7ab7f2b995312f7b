using System.Diagnostics;
using System.Globalization;
using System.Net;
using Mosaic.ClusterTests.Cluster;
using Mosaic.Testing;
using static Mosaic.Testing.DocJson;

namespace Mosaic.ClusterTests.Chaos;

/// <summary>
/// Writers as a careful client writes: each owns its own ids (so the last acknowledged state of an id is well defined),
/// PUTs, bulk-writes, updates and deletes them, every request with an Idempotency-Key, and retries the same request
/// (same key, same body) on a 503, a timeout or a refused connection, on the other coordinator, for up to
/// <see cref="GiveUpAfter"/>. A write never acknowledged by then retires its ids (<see cref="ChaosLedger.GaveUp"/>).
/// </summary>
/// <remarks>
/// Any other answer is a broken invariant: a 5xx other than 503, a 503 without Retry-After, a 4xx to a valid request
/// (a DELETE of a present id answering 404 means a lost write or a key that did not answer its first result).
/// </remarks>
public sealed class ChaosWriters
{
    /// <summary>Longer than any fault of the schedule lasts, so giving up is rare and means something stayed down.</summary>
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(45);

    /// <summary>Present documents per writer: the collection stays under 1000 (the most one search lists).</summary>
    private const int MaxPresent = 150;

    private readonly IReadOnlyList<MosaicHttp> _coordinators;
    private readonly string _collection;
    private readonly ChaosLedger _ledger;
    private readonly ChaosReport _report;
    private readonly int _seed;

    public ChaosWriters(IReadOnlyList<MosaicHttp> coordinators, string collection, ChaosLedger ledger, ChaosReport report, int seed)
    {
        _coordinators = coordinators;
        _collection = collection;
        _ledger = ledger;
        _report = report;
        _seed = seed;
    }

    /// <summary>The text of a version of a document: the word every document has, the id's own word, and the version.</summary>
    public static string Text(string id, int version) => $"{ClusterDocs.CommonWord} {Word(id)} v{version.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>A word only <paramref name="id"/> has.</summary>
    public static string Word(string id) => "x" + id.Replace("-", "", StringComparison.Ordinal) + "x";

    /// <summary>Runs writer <paramref name="writer"/> until <paramref name="stop"/>; the write in flight then finishes (acknowledged or given up).</summary>
    public async Task RunAsync(int writer, CancellationToken stop)
    {
        var random = new Random(_seed * 31 + writer);
        var vectors = new ClusteredVectors(_seed + 1000 + writer, ClusterDocs.Dimension, clusters: 4);
        var versions = new Dictionary<string, int>(StringComparer.Ordinal);
        var present = new List<string>();
        int next = 0;
        for (long n = 0; !stop.IsCancellationRequested; n++)
        {
            ChaosDoc Upsert(string id)
            {
                int version = versions[id] = versions.GetValueOrDefault(id) + 1;
                return new ChaosDoc(id, version, Text(id, version), vectors.Next());
            }

            ChaosDoc Delete(string id) => new(id, versions[id] = versions.GetValueOrDefault(id) + 1, null, null);

            string PickPresent() => present[random.Next(present.Count)];

            string PickNewOrUpdate(ISet<string> taken)
            {
                // Half updates of present ids, half new ids (or ids deleted earlier, created again).
                if (present.Count > 0 && (random.Next(2) == 0 || present.Count >= MaxPresent))
                {
                    string id = PickPresent();
                    if (!taken.Contains(id))
                    {
                        return id;
                    }
                }

                return $"w{writer}-{next++}";
            }

            double r = random.NextDouble();
            ChaosWrite write;
            if (present.Count > 0 && (r < 0.2 || present.Count >= MaxPresent))
            {
                write = new ChaosWrite(n, "delete", [Delete(PickPresent())]);
            }
            else if (r < 0.55)
            {
                write = new ChaosWrite(n, "put", [Upsert(PickNewOrUpdate(new HashSet<string>()))]);
            }
            else
            {
                var taken = new HashSet<string>(StringComparer.Ordinal);
                var docs = new List<ChaosDoc>();
                for (int i = random.Next(2, 7); i > 0; i--)
                {
                    bool delete = present.Count > 0 && random.Next(5) == 0;
                    string id = delete ? PickPresent() : PickNewOrUpdate(taken);
                    if (taken.Add(id))
                    {
                        docs.Add(delete && present.Contains(id) ? Delete(id) : Upsert(id));
                    }
                }

                write = new ChaosWrite(n, "bulk", docs);
            }

            bool acked = await SendAsync(writer, write);
            foreach (var d in write.Docs)
            {
                // Acknowledged: the id's state is known. Given up: the id is retired, never written again.
                present.Remove(d.Id);
                if (acked && !d.Deleted)
                {
                    present.Add(d.Id);
                }
            }
        }
    }

    private async Task<bool> SendAsync(int writer, ChaosWrite write)
    {
        var key = new Dictionary<string, string> { ["Idempotency-Key"] = $"chaos-{_seed}-{writer}-{write.Number}" };
        var doc = write.Docs[0];
        Func<MosaicHttp, Task<ApiResponse>> send = write.Kind switch
        {
            "put" => http => http.PutAsync($"collections/{_collection}/docs/{doc.Id}", Doc(doc.Text, doc.Vector), key),
            "delete" => http => http.DeleteAsync($"collections/{_collection}/docs/{doc.Id}", key),
            _ => http => http.BulkAsync(_collection, write.Docs.Select(d => d.Deleted ? DeleteLine(d.Id) : Line(Doc(d.Text, d.Vector, id: d.Id))), key),
        };
        string what = $"writer {writer} {write.Kind} #{write.Number} [{string.Join(", ", write.Docs)}]";
        _ledger.Started(write);
        var clock = Stopwatch.StartNew();
        for (int attempt = 0; clock.Elapsed < GiveUpAfter; attempt++)
        {
            var http = _coordinators[(writer + attempt) % _coordinators.Count];
            ApiResponse r;
            try
            {
                r = await send(http);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                _report.Count($"write:{ex.GetType().Name}");
                await Task.Delay(200);
                continue;
            }

            _report.Count($"write:{r.StatusCode}");
            if (r.Status == HttpStatusCode.OK)
            {
                _ledger.Acknowledged(write, MosaicHttp.Token(r));
                return true;
            }

            if (r.Status == HttpStatusCode.ServiceUnavailable)
            {
                if (r.RetryAfter is not { } delay || delay <= TimeSpan.Zero)
                {
                    _report.Violation($"{what} via {http.BaseUrl}: 503 without Retry-After: {r.Describe()}");
                    delay = TimeSpan.FromSeconds(1);
                }

                await Task.Delay(delay);
                continue;
            }

            // A 500 may or may not have written: retrying the same key settles which, and the 500 itself is the bug.
            _report.Violation($"{what} via {http.BaseUrl} (try {attempt + 1}): {r.Describe()}");
            if ((int)r.Status < 500)
            {
                break;
            }

            await Task.Delay(200);
        }

        _report.Count("write:gave-up");
        _ledger.GaveUp(write);
        return false;
    }
}
