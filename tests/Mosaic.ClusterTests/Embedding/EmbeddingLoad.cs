using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Testing;

namespace Mosaic.ClusterTests.Embedding;

/// <summary>Texts, counters and a small closed-loop load for the embedding scenarios.</summary>
internal static class EmbeddingLoad
{
    private static readonly string[] Subjects = ["the harbour", "a violinist", "our neighbour", "the old library", "a mountain guide", "the bakery", "a taxi driver", "the orchestra"];
    private static readonly string[] Verbs = ["repainted", "visited", "described", "photographed", "cleaned", "celebrated", "mapped", "recorded"];
    private static readonly string[] Objects = ["the lighthouse", "a frozen lake", "the night market", "an abandoned mill", "a vineyard", "the railway bridge", "a quiet museum", "the tide pools"];

    /// <summary>The <paramref name="i"/>-th sentence of a deterministic, varied stream (distinct for i below 512).</summary>
    public static string Sentence(int i) =>
        $"{Subjects[i % 8]} {Verbs[(i / 8) % 8]} {Objects[(i / 64) % 8]} in {1900 + (i % 123)}.";

    /// <summary>The embedding counters of a node's /cluster.</summary>
    public static async Task<JsonObject> StatsAsync(MosaicHttp http)
    {
        var r = await http.GetAsync("cluster");
        r.AssertStatus(HttpStatusCode.OK);
        return r.Object["embedding"] as JsonObject ?? throw new Xunit.Sdk.XunitException($"/cluster has no embedding counters: {r.Describe()}");
    }

    public static long Counter(JsonObject stats, string name) => stats[name]!.GetValue<long>();

    /// <summary>Failures after which a load gives up: the caller asserts on them, so a broken node fails the test fast instead of spinning.</summary>
    private const int GiveUpAfterFailures = 50;

    /// <summary>The longest a load runs whatever <c>stop</c> says, for the same reason.</summary>
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(3);

    /// <summary>Runs <paramref name="clients"/> loops of <paramref name="request"/> until <paramref name="stop"/>; every non-200 is kept.</summary>
    public static async Task<(int Requests, List<string> Failures)> RunAsync(int clients, Func<int, int, Task<ApiResponse>> request, Func<int, bool> stop)
    {
        var failures = new ConcurrentQueue<string>();
        int requests = 0;
        var giveUpAt = DateTime.UtcNow + GiveUpAfter;
        bool GiveUp() => failures.Count >= GiveUpAfterFailures || DateTime.UtcNow > giveUpAt;
        var loops = Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            for (int i = 0; !stop(Volatile.Read(ref requests)) && !GiveUp(); i++)
            {
                ApiResponse r;
                try
                {
                    r = await request(client, i);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    failures.Enqueue($"client {client} request {i}: {ex.GetType().Name}: {ex.Message}");
                    continue;
                }

                Interlocked.Increment(ref requests);
                if (r.Status != HttpStatusCode.OK)
                {
                    failures.Enqueue(r.Describe());
                }
            }
        })).ToArray();
        await Task.WhenAll(loops);
        return (requests, failures.ToList());
    }

    public static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
