using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary>
/// Acknowledged writes survive kill -9: a real <c>mosaic serve</c> child process is killed with SIGKILL and restarted on the
/// same data dir.
/// </summary>
public sealed class DurabilityTests(ITestOutputHelper output) : IDisposable
{
    private const int Dimension = 8;
    private readonly TempDirectory _dir = new("mosaic-durability");

    [Fact]
    public Task AcknowledgedWrites_SurviveKill9AndRestart() => Seeds.RunAsync(output.WriteLine, async seed =>
    {
        var dataDir = _dir.Combine("data");
        var generator = new ClusteredVectors(seed, Dimension, clusters: 10);
        var docs = Enumerable.Range(0, 1000).Select(i => (Id: $"doc-{i}", Word: $"durable{i}z", Vector: generator.Next())).ToList();
        var tokens = new Dictionary<string, string>();
        const string c = "durable";

        await using (var first = await StartAsync(dataDir, "first"))
        {
            await WithLogAsync(first, async () =>
            {
                using var http = new MosaicHttp(first.BaseUrl);
                await http.CreateCollectionAsync(c, new JsonObject { ["dimension"] = Dimension, ["metric"] = "cosine", ["shards"] = 4 });

                // 500 single PUTs (4 at a time), then 500 through 5 bulks of 100.
                var single = new ConcurrentDictionary<string, string>();
                await Parallel.ForEachAsync(docs.Take(500), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (d, _) =>
                    single[d.Id] = await http.UpsertAsync(c, d.Id, Doc($"text of {d.Word}", d.Vector, id: null)));
                foreach (var (id, token) in single)
                {
                    tokens[id] = token;
                }

                foreach (var chunk in docs.Skip(500).Chunk(100))
                {
                    var (written, token) = await http.BulkOkAsync(c, chunk.Select(d => Line(Doc($"text of {d.Word}", d.Vector, id: d.Id))));
                    Assert.Equal(100, written);
                    foreach (var d in chunk)
                    {
                        tokens[d.Id] = token;
                    }
                }
            });

            first.Kill();
        }

        await using var second = await StartAsync(dataDir, "second");
        await WithLogAsync(second, async () =>
        {
            using var http = new MosaicHttp(second.BaseUrl);
            await Wait.WaitUntilAsync(async () => (await http.GetAsync("ready")).StatusCode == 200, TimeSpan.FromSeconds(60), "GET /ready == 200 after restart");

            var missing = new ConcurrentBag<string>();
            await Parallel.ForEachAsync(docs, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (d, _) =>
            {
                var get = await http.GetAsync($"collections/{c}/docs/{d.Id}");
                if (get.Status != HttpStatusCode.OK || get.Object["text"]?.GetValue<string>() != $"text of {d.Word}")
                {
                    missing.Add($"GET {d.Id}: {get.Describe()}");
                    return;
                }

                // Tokens issued before the crash still work after it.
                var after = new JsonObject { ["after"] = tokens[d.Id] };
                var keyword = MosaicHttp.HitIds(await http.SearchAsync(c, new JsonObject { ["mode"] = "keyword", ["query"] = d.Word, ["consistency"] = after.DeepClone() }));
                if (!keyword.Contains(d.Id))
                {
                    missing.Add($"keyword {d.Word}: [{string.Join(',', keyword)}]");
                }

                var vector = MosaicHttp.HitIds(await http.SearchAsync(c, new JsonObject { ["mode"] = "vector", ["vector"] = Vector(d.Vector), ["top_k"] = 5, ["consistency"] = after.DeepClone() }));
                if (!vector.Contains(d.Id))
                {
                    missing.Add($"vector {d.Id}: [{string.Join(',', vector)}]");
                }
            });
            // The whole vector index is back: an exhaustive vector search (top_k >= doc count) returns every doc.
            var everything = MosaicHttp.HitIds(await http.SearchAsync(c, new JsonObject { ["mode"] = "vector", ["vector"] = Vector(docs[0].Vector), ["top_k"] = 1000 }));
            if (everything.Count != 1000)
            {
                missing.Add($"vector search with top_k 1000 returned {everything.Count} of 1000 docs; not returned: {string.Join(',', docs.Select(d => d.Id).Except(everything).Take(20))}");
            }

            Assert.True(missing.IsEmpty, $"{missing.Count} lost after kill -9:\n{string.Join('\n', missing.Take(20))}");
            Assert.Equal(1000, await http.DocCountAsync(c));
        });
    });

    [Fact]
    public Task WritesAcknowledgedWhileKilled_AreNotLost() => Seeds.RunAsync(output.WriteLine, async seed =>
    {
        var dataDir = _dir.Combine("data-inflight");
        var generator = new ClusteredVectors(seed, Dimension, clusters: 4);
        var acknowledged = new ConcurrentDictionary<string, string>();
        const string c = "inflight";

        await using (var first = await StartAsync(dataDir, "inflight-first"))
        {
            await WithLogAsync(first, async () =>
            {
                using var http = new MosaicHttp(first.BaseUrl, TimeSpan.FromSeconds(30));
                await http.CreateCollectionAsync(c, new JsonObject { ["dimension"] = Dimension, ["metric"] = "l2", ["shards"] = 2 });
                var vectors = generator.Take(4000);

                // Four writers of single PUTs and two of 10-line bulks, so that groups commit both together; the process
                // is killed once 300 writes are acknowledged, while the rest are in flight.
                using var stop = new CancellationTokenSource();
                var next = -1;
                var writers = Enumerable.Range(0, 6).Select(w => Task.Run(async () =>
                {
                    while (!stop.IsCancellationRequested)
                    {
                        int size = w < 4 ? 1 : 10;
                        var i = Interlocked.Add(ref next, size) - size + 1;
                        if (i + size > vectors.Length)
                        {
                            return;
                        }

                        try
                        {
                            var r = size == 1
                                ? await http.PutAsync($"collections/{c}/docs/f{i}", Doc($"inflight f{i}", vectors[i]))
                                : await http.BulkAsync(c, Enumerable.Range(i, size).Select(j => Line(Doc($"inflight f{j}", vectors[j], id: $"f{j}"))));
                            if (r.Status == HttpStatusCode.OK)
                            {
                                for (int j = i; j < i + size; j++)
                                {
                                    acknowledged[$"f{j}"] = $"inflight f{j}";
                                }
                            }
                        }
                        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                        {
                            return; // the server is gone: this write was never acknowledged
                        }
                    }
                })).ToArray();

                await Wait.WaitUntilAsync(() => acknowledged.Count >= 300 || writers.All(w => w.IsCompleted), TimeSpan.FromSeconds(60), "300 acknowledged writes");
                first.Kill();
                stop.Cancel();
                await Task.WhenAll(writers);
            });
        }

        output.WriteLine($"{acknowledged.Count} writes acknowledged before kill -9");
        Assert.True(acknowledged.Count >= 300);

        await using var second = await StartAsync(dataDir, "inflight-second");
        await WithLogAsync(second, async () =>
        {
            using var http = new MosaicHttp(second.BaseUrl);
            var lost = new ConcurrentBag<string>();
            await Parallel.ForEachAsync(acknowledged, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (pair, _) =>
            {
                var get = await http.GetAsync($"collections/{c}/docs/{pair.Key}");
                if (get.Status != HttpStatusCode.OK || get.Object["text"]?.GetValue<string>() != pair.Value)
                {
                    lost.Add(get.Describe());
                }
            });
            Assert.True(lost.IsEmpty, $"{lost.Count} acknowledged writes lost:\n{string.Join('\n', lost.Take(20))}");
            long count = 0;
            await Wait.WaitUntilAsync(async () => (count = await http.DocCountAsync(c)) >= acknowledged.Count, TimeSpan.FromSeconds(30), $"doc_count >= {acknowledged.Count}");
            Assert.InRange(count, acknowledged.Count, acknowledged.Count + 4 + 2 * 10); // at most the in-flight ones on top

            // Every acknowledged doc is back in the vector index too (top_k 1000 covers the whole collection).
            var all = MosaicHttp.HitIds(await http.SearchAsync(c, new JsonObject { ["mode"] = "vector", ["vector"] = Vector(generator.Next()), ["top_k"] = 1000 })).ToHashSet();
            var notIndexed = acknowledged.Keys.Where(id => !all.Contains(id)).ToList();
            Assert.True(notIndexed.Count == 0, $"{notIndexed.Count} acknowledged docs missing from the vector index after restart: {string.Join(',', notIndexed.Take(20))}");
        });
    });

    public void Dispose() => _dir.Dispose();

    private async Task<MosaicProcess> StartAsync(string dataDir, string name)
    {
        var process = await MosaicProcess.StartServeAsync(dataDir, _dir.Combine($"{name}.log"));
        output.WriteLine($"started {name}: pid {process.Id} at {process.BaseUrl}, log {process.LogPath}");
        return process;
    }

    /// <summary>Runs <paramref name="body"/>; on failure appends the tail of the server's log to the message.</summary>
    private static async Task WithLogAsync(MosaicProcess process, Func<Task> body)
    {
        try
        {
            await body();
        }
        catch (Exception ex)
        {
            throw new InvalidOperationException($"{ex.Message}\n--- {process.LogPath} (tail) ---\n{process.LogTail()}", ex);
        }
    }
}
