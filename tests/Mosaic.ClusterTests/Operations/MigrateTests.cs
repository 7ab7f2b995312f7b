using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Mosaic.ClusterTests.Cluster;
using Mosaic.Testing;
using Xunit;
using Xunit.Abstractions;
using static Mosaic.Testing.DocJson;

namespace Mosaic.ClusterTests.Operations;

/// <summary>
/// <c>mosaic migrate</c> moves a real embedded server's store into real PostgreSQL, and a coordinator and a worker started
/// on it answer exactly as the embedded server did: same counts, same ids, same search answers. The migrated cluster's
/// store is then backed up through the coordinator (pg_dump) and restored into another database with matching counts.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class MigrateTests(ClusterPostgres postgres, ITestOutputHelper output)
{
    private const int Dimension = 8;
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(120);
    private static readonly string[] Categories = ["shoes", "hats", "bags"];

    [Fact]
    public async Task Migrate_embedded_to_postgres_keeps_ids_counts_and_search_answers()
    {
        using var dir = new TempDirectory("mosaic-migrate");
        var searches = new List<(string Collection, JsonObject Search)>();
        var answers = new List<string>();
        var counts = new Dictionary<string, long>();
        JsonObject? idempotent = null;
        string? apiKey = null;
        var idempotencyKey = new Dictionary<string, string> { ["Idempotency-Key"] = "migrate-key-1" };

        await ClusterHarness.RunAsync(
            postgres,
            output,
            new ClusterSpec { Workers = 1, Coordinators = 1 },
            async (cluster, seed) =>
            {
                var http = cluster.Http();
                await cluster.WaitSettledAsync("catalog", replicas: 1, TimeSpan.FromSeconds(60));
                await cluster.WaitSettledAsync("notes", replicas: 1, TimeSpan.FromSeconds(60));
                foreach (var (c, n) in counts)
                {
                    await Wait.WaitUntilAsync(async () => await http.DocCountAsync(c) == n, TimeSpan.FromSeconds(30), $"doc_count of {c} == {n} (the embedded server's)");
                }

                for (int i = 0; i < searches.Count; i++)
                {
                    string? last = null;
                    var (c, search) = searches[i];
                    await Wait.WaitUntilAsync(
                        async () => (last = Answer(await http.SearchAsync(c, Clone(search)))) == answers[i],
                        TimeSpan.FromSeconds(30),
                        $"search {i} on {c} ({search.ToJsonString()}) answers as the embedded server did: {answers[i]}; last: {last}");
                }

                // The idempotency answers came along: the same key answers the first write's answer, not a new write.
                var repeat = (await http.PutAsync("collections/catalog/docs/idem", Doc("idempotent", Ones()), idempotencyKey)).AssertStatus(HttpStatusCode.OK).Object;
                Assert.Equal(idempotent!.ToJsonString(), repeat.ToJsonString());

                // New collections get new ids (the id sequence moved past the migrated ones), and writes go on.
                (await http.PutAsync("collections/after", new JsonObject { ["shards"] = 1 })).AssertStatus(HttpStatusCode.Created);
                (await http.PutAsync("collections/catalog/docs/new-1", Doc("written after the migration", Ones(), new JsonObject { ["category"] = "hats", ["price"] = 1 }))).AssertStatus(HttpStatusCode.OK);

                // The key came along as a key: revoking it by the key itself finds it by its hash in PostgreSQL.
                var revoked = await CliRun.RunAsync(["keys", "revoke", apiKey!, "--store", cluster.Store], dir.Combine("keys-revoke.log"), CliTimeout);
                Assert.True(revoked.ExitCode == 0 && revoked.Output.Contains("(read)", StringComparison.Ordinal), revoked.Describe());

                var again = await CliRun.RunAsync(["migrate", "--data", dir.Combine("embedded"), "--to", cluster.Store], dir.Combine("migrate-again.log"), CliTimeout);
                Assert.True(again.ExitCode == 1 && again.Output.Contains("already holds collections", StringComparison.Ordinal), again.Describe());

                // pg_dump through the coordinator, restored into another database: the manifest's counts come back.
                var backup = await CliRun.RunAsync(["backup", "--to", dir.Combine("pg-backup"), "--url", cluster.Coordinators[0].Url], dir.Combine("backup.log"), CliTimeout);
                Assert.True(backup.ExitCode == 0, backup.Describe());
                var manifest = JsonNode.Parse(File.ReadAllText(dir.Combine("pg-backup", "manifest.json")))!.AsObject();
                Assert.Equal("postgresql", manifest["store"]!.GetValue<string>());
                Assert.Equal(counts["catalog"] + 1, manifest["collections"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == "catalog")!["doc_count"]!.GetValue<long>());
                string target = await postgres.NewDatabaseAsync();
                var restore = await CliRun.RunAsync(["restore", "--from", dir.Combine("pg-backup"), "--store", target], dir.Combine("restore.log"), CliTimeout);
                Assert.True(restore.ExitCode == 0 && restore.Output.Contains("counts match the manifest", StringComparison.Ordinal), restore.Describe());
            },
            prepare: async (store, seed) =>
            {
                string data = dir.Combine("embedded");
                await using (var server = await MosaicProcess.StartServeAsync(data, dir.Combine("embedded.log")))
                {
                    using var http = new MosaicHttp(server.BaseUrl, TimeSpan.FromSeconds(30));
                    idempotent = await FillAsync(http, seed, idempotencyKey);
                    searches.AddRange(Searches(seed));
                    foreach (var (c, search) in searches)
                    {
                        answers.Add(Answer(await http.SearchAsync(c, Clone(search))));
                    }

                    // Every probe finds something, except the word of a deleted document (the delete must migrate too).
                    Assert.True(answers.Select((a, i) => (a.Length == 0) == (i == DeletedWordSearch)).All(ok => ok), string.Join('\n', answers));
                    counts["catalog"] = await http.DocCountAsync("catalog");
                    counts["notes"] = await http.DocCountAsync("notes");
                }

                // An API key made offline in the embedded store (its hash, role and rate must move too).
                var created = await CliRun.RunAsync(["keys", "create", "--role", "read", "--rate", "5", "--data", data], dir.Combine("keys.log"), CliTimeout);
                Assert.True(created.ExitCode == 0, created.Describe());
                apiKey = Assert.Single(created.Stdout);

                var migrate = await CliRun.RunAsync(["migrate", "--data", data, "--to", store], dir.Combine("migrate.log"), CliTimeout);
                output.WriteLine(migrate.Describe());
                Assert.True(migrate.ExitCode == 0, migrate.Describe());
                Assert.Contains("counts match", migrate.Output, StringComparison.Ordinal);
                // The printed table names the documents on both sides.
                Assert.Matches(@"api_keys\s*│\s*1\s*│\s*1\s*│\s*ok", migrate.Output);
                Assert.Matches($@"docs\s*│\s*{counts["catalog"] + counts["notes"]}\s*│\s*{counts["catalog"] + counts["notes"]}\s*│\s*ok", migrate.Output);
            });
    }

    /// <summary>Two collections with updates, deletes and an idempotent write, so documents, the change log and slot heads all differ.</summary>
    private static async Task<JsonObject> FillAsync(MosaicHttp http, int seed, Dictionary<string, string> idempotencyKey)
    {
        var vectors = new ClusteredVectors(seed, Dimension, clusters: 5);
        await http.CreateCollectionAsync("catalog", new JsonObject
        {
            ["dimension"] = Dimension,
            ["metric"] = "cosine",
            ["shards"] = 3,
            ["fields"] = new JsonObject { ["category"] = "keyword", ["price"] = "number" },
        });
        var lines = Enumerable.Range(0, 400).Select(i => Line(Doc(
            $"item {WordOf(i)} {Categories[i % 3]}", vectors.Next(), new JsonObject { ["category"] = Categories[i % 3], ["price"] = i }, id: $"c{i}")));
        foreach (var chunk in lines.Chunk(100))
        {
            await http.BulkOkAsync("catalog", chunk);
        }

        await http.BulkOkAsync("catalog", Enumerable.Range(0, 40).Select(i => Line(Doc($"updated {WordOf(i)} {WordOf(i + 1000)}", vectors.Next(), new JsonObject { ["category"] = "hats", ["price"] = i }, id: $"c{i}"))));
        await http.BulkOkAsync("catalog", Enumerable.Range(100, 20).Select(i => DeleteLine($"c{i}")));
        var first = (await http.PutAsync("collections/catalog/docs/idem", Doc("idempotent", Ones()), idempotencyKey)).AssertStatus(HttpStatusCode.OK).Object;

        await http.CreateCollectionAsync("notes", new JsonObject { ["shards"] = 2 });
        await http.BulkOkAsync("notes", Enumerable.Range(0, 60).Select(i => Line(Doc($"note {WordOf(i)} shared words", id: $"n{i}"))));
        return first;
    }

    private static IEnumerable<(string, JsonObject)> Searches(int seed)
    {
        var probes = new ClusteredVectors(seed + 1, Dimension, clusters: 5);
        yield return ("catalog", new JsonObject { ["mode"] = "vector", ["vector"] = Vector(probes.Next()), ["top_k"] = 10 });
        yield return ("catalog", new JsonObject { ["mode"] = "vector", ["vector"] = Vector(probes.Next()), ["top_k"] = 10, ["filter"] = Clause("category", ("eq", "hats")) });
        yield return ("catalog", new JsonObject { ["mode"] = "keyword", ["query"] = $"{WordOf(7)} {WordOf(1003)} {WordOf(250)}", ["top_k"] = 10 });
        yield return ("catalog", new JsonObject { ["mode"] = "keyword", ["query"] = "shoes", ["top_k"] = 50, ["filter"] = Clause("price", ("gte", 300)) });
        yield return ("catalog", new JsonObject { ["mode"] = "hybrid", ["query"] = $"{WordOf(12)} bags", ["vector"] = Vector(probes.Next()), ["top_k"] = 10 });
        yield return ("catalog", new JsonObject { ["mode"] = "keyword", ["query"] = WordOf(110), ["top_k"] = 10 });
        yield return ("notes", new JsonObject { ["mode"] = "keyword", ["query"] = $"{WordOf(3)} {WordOf(59)}", ["top_k"] = 10 });
    }

    /// <summary>An answer as ids with scores (5 decimals), ties ordered by id: shards may list equal scores in any order.</summary>
    private static string Answer(JsonObject answer)
    {
        Assert.False(answer["partial"]!.GetValue<bool>(), answer.ToJsonString());
        var hits = answer["hits"]!.AsArray()
            .Select(h => (Id: h!["id"]!.GetValue<string>(), Score: Math.Round(h["score"]!.GetValue<double>(), 5)))
            .OrderByDescending(h => h.Score).ThenBy(h => h.Id, StringComparer.Ordinal);
        return string.Join(" ", hits.Select(h => string.Create(CultureInfo.InvariantCulture, $"{h.Id}:{h.Score}")));
    }

    private static string WordOf(int i) => $"item{i}x";

    /// <summary>Index in <see cref="Searches"/> of the search for a deleted document's word.</summary>
    private const int DeletedWordSearch = 5;

    private static float[] Ones() => Enumerable.Repeat(1f, Dimension).ToArray();
}
