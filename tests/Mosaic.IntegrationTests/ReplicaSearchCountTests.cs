using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Mosaic.Testing;
using Xunit;
using static Mosaic.Testing.DocJson;

namespace Mosaic.IntegrationTests;

/// <summary>
/// Replicas count searches as the coordinator does: N keyword (and hybrid) searches of a 2-shard collection, each with a
/// keyword-statistics (dfs) phase and a payload fetch, are N searches on each shard's replica in
/// <c>mosaic_shard_searches_total</c>, not 2N or 3N. The advice's hot-shard figures come from the same count.
/// </summary>
/// <remarks>
/// A real <c>mosaic serve</c> process, not the in-process server. OpenTelemetry providers subscribe to meters by name, so
/// each in-process server's provider also sees the "Mosaic" instruments of the other servers alive in the test process,
/// keeps the first instrument of a name and drops the rest: under the parallel suite this server's /metrics could show
/// another server's replicas instead of its own (failed in CI and in a full run, never alone). One server per process is
/// how Mosaic runs anyway.
/// </remarks>
public sealed partial class ReplicaSearchCountTests() : ServeProcessTest("mosaic-counted")
{
    private const string C = "counted";

    [Fact]
    public async Task Each_replica_counts_one_search_per_search_not_its_dfs_or_fetch_calls()
    {
        var http = Http;
        await http.CreateCollectionAsync(C, new JsonObject { ["dimension"] = 4, ["metric"] = "cosine", ["shards"] = 2 });
        var docs = Enumerable.Range(0, 40).Select(i => Line(Doc($"common word{i} tag{i % 5}", [1, i, i % 3, 1], id: $"r{i}"))).ToList();
        await http.BulkOkAsync(C, docs);
        await Wait.WaitUntilAsync(async () => await http.DocCountAsync(C) == 40, TimeSpan.FromSeconds(30), "doc_count == 40");
        Assert.Equal(new long[] { 0, 0 }, await ReplicaSearchesAsync(http));

        // Distinct queries, so that none is answered from the result cache; "common" is in every document, so every shard
        // has hits and the payload fetch goes to both. Complete answers only: a shard call that missed its deadline on a
        // loaded machine would be a search the replica never counted (seen in CI with the default 5 s deadline).
        const int Keyword = 12, Hybrid = 5;
        for (int i = 0; i < Keyword; i++)
        {
            var answer = await http.SearchAsync(C, Complete(new JsonObject { ["mode"] = "keyword", ["query"] = $"common tag{i % 5} word{i}", ["top_k"] = 10, ["include"] = Array("text") }));
            Assert.Equal(10, answer["hits"]!.AsArray().Count);
            Assert.False((bool)answer["partial"]!);
        }

        await Wait.WaitUntilAsync(async () => (await ReplicaSearchesAsync(http)).Sum() >= 2 * Keyword, TimeSpan.FromSeconds(15), "replica counters reach the searches sent");
        Assert.Equal(new long[] { Keyword, Keyword }, await ReplicaSearchesAsync(http));

        for (int i = 0; i < Hybrid; i++)
        {
            var answer = await http.SearchAsync(C, Complete(new JsonObject { ["mode"] = "hybrid", ["query"] = $"common word{i}", ["vector"] = Vector([1, i + 0.5f, 1, 1]), ["include"] = Array("text", "fields") }));
            Assert.False((bool)answer["partial"]!);
        }

        await Wait.WaitUntilAsync(async () => (await ReplicaSearchesAsync(http)).Sum() >= 2 * (Keyword + Hybrid), TimeSpan.FromSeconds(15), "replica counters reach the hybrid searches too");
        Assert.Equal(new long[] { Keyword + Hybrid, Keyword + Hybrid }, await ReplicaSearchesAsync(http));
    }

    private static JsonObject Complete(JsonObject search)
    {
        search["timeout_ms"] = 30_000;
        search["allow_partial"] = false;
        return search;
    }

    /// <summary>mosaic_shard_searches_total of the collection's shards, in shard order.</summary>
    private static async Task<long[]> ReplicaSearchesAsync(MosaicHttp http)
    {
        string metrics = (await http.GetAsync("metrics")).Body;
        var byShard = ShardSearches().Matches(metrics)
            .GroupBy(m => int.Parse(m.Groups["shard"].Value, CultureInfo.InvariantCulture))
            .ToDictionary(g => g.Key, g => g.Sum(m => long.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture)));
        var shards = ((await http.GetAsync($"collections/{C}")).Object["shard_stats"]!.AsArray()).Select(s => (int)s!["shard"]!).Order().ToList();
        Assert.Equal(2, shards.Count);
        return [.. shards.Select(s => byShard.GetValueOrDefault(s))];
    }

    [GeneratedRegex("^mosaic_shard_searches_total\\{(?=[^}]*collection=\"" + C + "\")(?=[^}]*shard=\"(?<shard>[0-9]+)\")[^}]*\\} (?<n>[0-9]+)", RegexOptions.Multiline)]
    private static partial Regex ShardSearches();
}
