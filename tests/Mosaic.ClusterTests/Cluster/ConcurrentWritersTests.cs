using System.Collections.Concurrent;
using System.Net;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;
using static Mosaic.Testing.DocJson;

namespace Mosaic.ClusterTests.Cluster;

/// <summary>
/// Scenario 7: many writers on many coordinators overwrite the same ids with singles and bulks. Afterwards every replica
/// holds exactly the final version of every document, and every coordinator agrees.
/// </summary>
/// <remarks>
/// Per-slot sequence gaplessness is the store tests' business; this checks its outcome on the replicas. For each id, the
/// version the store kept must be the last acknowledged write of one of the writers (a write that committed later than
/// every writer's last one cannot exist), and each replica must hold that version and nothing older.
/// </remarks>
[Collection(ClusterCollection.Name)]
public sealed class ConcurrentWritersTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    private const string C = "writers";
    private const int Ids = 150;
    private const int WritersPerCoordinator = 4;
    private const int OpsPerWriter = 30;

    [Fact]
    public Task Every_replica_ends_with_the_final_version_of_every_document() =>
        ClusterHarness.RunAsync(postgres, output, new ClusterSpec { Workers = 3, Coordinators = 3 }, async (cluster, seed) =>
        {
            await cluster.Http(0).CreateCollectionAsync(C, ClusterDocs.Collection(shards: 8, replicas: 2));
            var view = await cluster.WaitSettledAsync(C, replicas: 2, TimeSpan.FromSeconds(60));

            int writers = WritersPerCoordinator * cluster.Coordinators.Count;
            var lastByWriter = Enumerable.Range(0, writers).Select(_ => new Dictionary<string, string>()).ToArray();
            var tokenOf = new ConcurrentDictionary<string, string>(); // version -> token of the write that carried it
            var failures = new ConcurrentQueue<string>();
            long acknowledged = 0;
            await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
            {
                var http = cluster.Http(w % cluster.Coordinators.Count);
                var random = new Random(seed + w);
                for (int op = 0; op < OpsPerWriter; op++)
                {
                    // 60% single PUTs, 40% bulks of 2..6 distinct ids; all writers draw from the same 150 ids.
                    int lines = random.Next(10) < 6 ? 1 : random.Next(2, 7);
                    var batch = Enumerable.Range(0, lines).Select(_ => $"cw-{random.Next(Ids)}").Distinct()
                        .Select((id, line) => (Id: id, Version: $"v{w}x{op}x{line}", Vector: ClusteredVectors.Uniform(random, ClusterDocs.Dimension))).ToList();
                    ApiResponse r = batch.Count == 1
                        ? await http.PutAsync($"collections/{C}/docs/{batch[0].Id}", Doc(Text(batch[0].Version, batch[0].Id), batch[0].Vector))
                        : await http.BulkAsync(C, batch.Select(b => Line(Doc(Text(b.Version, b.Id), b.Vector, id: b.Id))));
                    if (r.Status != HttpStatusCode.OK)
                    {
                        failures.Enqueue($"writer {w} op {op}: {r.Describe()}");
                        continue;
                    }

                    string token = MosaicHttp.Token(r);
                    foreach (var b in batch)
                    {
                        lastByWriter[w][b.Id] = b.Version;
                        tokenOf[b.Version] = token;
                    }

                    Interlocked.Add(ref acknowledged, batch.Count);
                }
            })));
            Assert.True(failures.IsEmpty, $"{failures.Count} writes failed:\n{string.Join('\n', failures.Take(10))}");
            var ids = lastByWriter.SelectMany(l => l.Keys).ToHashSet();
            cluster.Log($"{writers} writers acknowledged {acknowledged} document writes to {ids.Count} distinct ids");

            // Every coordinator counts every distinct id once, once the replicas have caught up.
            await cluster.WaitSettledAsync(C, replicas: 2, TimeSpan.FromSeconds(60));
            for (int c = 0; c < cluster.Coordinators.Count; c++)
            {
                var http = cluster.Http(c);
                long count = -1;
                await Wait.WaitUntilAsync(async () => (count = await http.DocCountAsync(C)) == ids.Count, TimeSpan.FromSeconds(30), $"doc_count via {http.BaseUrl} == {ids.Count}");
                Assert.Equal(ids.Count, count);
            }

            // The store's version of each id is the last acknowledged write of one of the writers; that version, searched for
            // after its own token, is found (ids spread over the coordinators).
            var final = new ConcurrentDictionary<string, string>();
            var problems = new ConcurrentQueue<string>();
            await Parallel.ForEachAsync(ids.Order().Select((id, i) => (id, i)), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (x, _) =>
            {
                var http = cluster.Http(x.i % cluster.Coordinators.Count);
                var candidates = lastByWriter.Where(l => l.ContainsKey(x.id)).Select(l => l[x.id]).ToHashSet();
                var get = await http.GetAsync($"collections/{C}/docs/{x.id}");
                string? text = get.Status == HttpStatusCode.OK ? get.Object["text"]?.GetValue<string>() : null;
                string? version = candidates.FirstOrDefault(v => text == Text(v, x.id));
                if (version is null)
                {
                    problems.Enqueue($"GET {x.id}: {get.Describe()}; expected the last write of one writer: [{string.Join(',', candidates)}]");
                    return;
                }

                final[x.id] = version;
                var answer = await http.SearchAsync(C, ClusterDocs.Keyword(version, tokenOf[version]));
                if (MosaicHttp.HitIds(answer) is not [var hit] || hit != x.id)
                {
                    problems.Enqueue($"{x.id} version {version} after its token via {http.BaseUrl}: {answer.ToJsonString()}");
                }
            });
            Assert.True(problems.IsEmpty, $"{problems.Count} problems:\n{string.Join('\n', problems.Take(20))}");

            // A search after any acknowledged write's token, through any coordinator, finds every id.
            var tokens = tokenOf.Values.Distinct().ToList();
            await Parallel.ForEachAsync(tokens.Select((t, i) => (t, i)), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (x, _) =>
            {
                var http = cluster.Http(x.i % cluster.Coordinators.Count);
                if (await ClusterDocs.IncompletenessAsync(http, C, ClusterDocs.KeywordAll(ids.Count, 10_000, token: x.t), ids) is { } problem)
                {
                    problems.Enqueue($"after token #{x.i}: {problem}");
                }
            });
            Assert.True(problems.IsEmpty, $"{problems.Count} of {tokens.Count} searches after a write's token were incomplete:\n{string.Join('\n', problems.Take(20))}");

            // Replica by replica (asked directly): lag 0, and exactly the final version of each of its shard's documents.
            long collectionId = ReplicaProbe.CollectionIdOf(tokenOf.Values.First());
            await cluster.WaitReplicasCaughtUpAsync(C, collectionId, ids.Count, TimeSpan.FromSeconds(30));
            var seen = new Dictionary<string, string?>();
            foreach (var shard in view.Collection(C).Shards)
            {
                Dictionary<string, string?>? first = null;
                foreach (var replica in (await cluster.ViewAsync()).Collection(C).Shards.Single(s => s.Shard == shard.Shard).Replicas)
                {
                    using var probe = new ReplicaProbe(cluster.Workers.Single(w => w.Name == replica.Node).Url);
                    var stats = await probe.StatsAsync(collectionId, shard.Shard, TimeSpan.FromSeconds(10));
                    Assert.True(stats.Lag == 0, $"replica of shard {shard.Shard} on {replica.Node}: {stats}");
                    var held = (await probe.KeywordAsync(collectionId, shard.Shard, ClusterDocs.CommonWord, 1000, TimeSpan.FromSeconds(10))).ToDictionary(h => h.Id, h => h.Text);
                    Assert.Equal(held.Count, stats.DocCount);
                    if (first is null)
                    {
                        first = held;
                        foreach (var (id, text) in held)
                        {
                            Assert.True(seen.TryAdd(id, text), $"{id} is held by two shards");
                        }
                    }
                    else
                    {
                        var differ = held.Keys.Union(first.Keys).Where(id => !held.TryGetValue(id, out var a) || !first.TryGetValue(id, out var b) || a != b).ToList();
                        Assert.True(differ.Count == 0, $"the replicas of shard {shard.Shard} disagree on {differ.Count} docs, e.g. {string.Join(", ", differ.Take(5).Select(id => $"{id}: '{first.GetValueOrDefault(id)}' vs '{held.GetValueOrDefault(id)}' on {replica.Node}"))}");
                    }
                }
            }

            Assert.True(seen.Keys.ToHashSet().SetEquals(ids), $"the shards hold {seen.Count} ids, {ids.Count} were written");
            var stale = ids.Where(id => seen[id] != Text(final[id], id)).ToList();
            Assert.True(stale.Count == 0, $"{stale.Count} docs hold another version than the store's, e.g. {string.Join(", ", stale.Take(5).Select(id => $"{id}: '{seen[id]}' vs '{Text(final[id], id)}'"))}");
        });

    private static string Text(string version, string id) => $"{ClusterDocs.CommonWord} {version} {id.Replace("-", "", StringComparison.Ordinal)}";
}
