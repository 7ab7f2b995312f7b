using System.Net;
using System.Numerics.Tensors;
using System.Text.Json.Nodes;
using Mosaic.ClusterTests.Cluster;
using Mosaic.Testing;

namespace Mosaic.ClusterTests.Chaos;

/// <summary>
/// The checks once the faults have stopped and the cluster has settled: every id holds its last acknowledged state, or the
/// whole state of the write that was attempted but never acknowledged (an unacknowledged bulk all or nothing);
/// doc_count equals what is present; every replica serves, caught up; and complete searches through every coordinator
/// list exactly the present documents and agree with each other.
/// </summary>
public sealed class ChaosChecker(ClusterHarness cluster, string collection, ChaosLedger ledger, ChaosReport report)
{
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(120);

    public async Task CheckAsync(int replicas)
    {
        await cluster.WaitSettledAsync(collection, replicas, SettleTimeout);
        var present = await CheckDocumentsAsync();
        cluster.Log($"chaos: {present.Count} documents present");
        long expected = present.Count;
        long count = -1;
        try
        {
            await Wait.WaitUntilAsync(async () => (count = await cluster.Http().DocCountAsync(collection)) == expected, TimeSpan.FromSeconds(60), $"doc_count == {expected}");
        }
        catch (TimeoutException)
        {
            report.Violation($"doc_count is {count}, {expected} documents are present");
        }

        await cluster.WaitReplicasCaughtUpAsync(collection, ledger.CollectionId, expected, SettleTimeout);
        await CheckSearchesAsync(present);
    }

    /// <summary>Reads every id ever written and returns those present; a state no write left is a broken invariant.</summary>
    private async Task<IReadOnlySet<string>> CheckDocumentsAsync()
    {
        var http = cluster.Http();
        var present = new HashSet<string>(StringComparer.Ordinal);
        var landed = new Dictionary<long, List<(string Id, bool Landed)>>();
        foreach (var (id, acked, unacknowledged) in ledger.All())
        {
            var r = await http.GetAsync($"collections/{collection}/docs/{id}");
            if (r.Status is not (HttpStatusCode.OK or HttpStatusCode.NotFound))
            {
                report.Violation($"GET {id} after the faults: {r.Describe()}");
                continue;
            }

            string? text = r.Status == HttpStatusCode.OK ? r.Object["text"]?.GetValue<string>() : null;
            var vector = r.Status == HttpStatusCode.OK && r.Object["vector"] is JsonArray v ? v.Select(x => x!.GetValue<float>()).ToArray() : null;
            bool Matches(ChaosDoc? state) => state is null || state.Deleted ? text is null : text == state.Text && (vector is null || SameDirection(vector, state.Vector!));
            var attempted = unacknowledged?.Docs.Single(d => d.Id == id);
            bool asAcked = Matches(acked);
            bool asAttempted = attempted is not null && Matches(attempted);
            if (!asAcked && !asAttempted)
            {
                report.Violation($"{id} reads {(text is null ? "absent" : $"'{text}'")}: acknowledged {acked?.ToString() ?? "nothing"}"
                    + (attempted is null ? "" : $", attempted unacknowledged {attempted}"));
            }

            if (text is not null)
            {
                present.Add(id);
            }

            if (unacknowledged is not null && asAcked != asAttempted)
            {
                (landed.TryGetValue(unacknowledged.Number, out var list) ? list : landed[unacknowledged.Number] = []).Add((id, asAttempted));
            }
        }

        foreach (var (number, outcomes) in landed.Where(l => l.Value.Select(o => o.Landed).Distinct().Count() > 1))
        {
            report.Violation($"unacknowledged write #{number} landed in part: {string.Join(", ", outcomes.Select(o => $"{o.Id} {(o.Landed ? "landed" : "not")}"))}");
        }

        return present;
    }

    /// <summary>True when two vectors point the same way (the store may keep a cosine collection's vectors normalized).</summary>
    private static bool SameDirection(float[] a, float[] b) =>
        a.Length == b.Length && TensorPrimitives.CosineSimilarity(a, b) > 0.9999f;

    /// <summary>Complete searches of every mode through every coordinator list exactly the present documents.</summary>
    private async Task CheckSearchesAsync(IReadOnlySet<string> present)
    {
        string? token = ledger.Snapshot().Token;
        var vector = new float[ClusterDocs.Dimension];
        vector[0] = 1;
        var answers = new List<(string Where, List<string> Ids)>();
        foreach (var coordinator in cluster.Coordinators)
        {
            foreach (string mode in new[] { "vector", "keyword", "hybrid" })
            {
                var search = ChaosReaders.Search(mode, vector, allowPartial: false, token);
                string? problem = await ClusterDocs.IncompletenessAsync(cluster.Http(coordinator), collection, search, present);
                if (problem is not null)
                {
                    report.Violation($"after the faults: {problem}");
                }

                var top = await cluster.Http(coordinator).PostAsync($"collections/{collection}/search", ChaosReaders.Search(mode, vector, allowPartial: false, token));
                answers.Add(($"{mode} via {coordinator}", top.Status == HttpStatusCode.OK ? MosaicHttp.HitIds(top.Object) : []));
            }
        }

        // The same search ranks the same through any coordinator (BM25 uses collection-wide statistics; vectors are exact here).
        foreach (var group in answers.GroupBy(a => a.Where.Split(' ')[0], StringComparer.Ordinal))
        {
            var first = group.First();
            foreach (var other in group.Skip(1).Where(o => !o.Ids.SequenceEqual(first.Ids)))
            {
                report.Violation($"{first.Where} and {other.Where} disagree: [{string.Join(',', first.Ids.Take(10))}...] vs [{string.Join(',', other.Ids.Take(10))}...]");
            }
        }
    }
}
