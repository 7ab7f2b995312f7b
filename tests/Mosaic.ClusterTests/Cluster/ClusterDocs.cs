using System.Net;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using static Mosaic.Testing.DocJson;

namespace Mosaic.ClusterTests.Cluster;

/// <summary>A test document: a word only it has, the word every test document has, and a seeded vector.</summary>
public sealed record TestDoc(string Id, string Word, string Text, float[] Vector)
{
    public JsonObject Body() => Doc(Text, Vector);

    public string Line() => DocJson.Line(Doc(Text, Vector, id: Id));
}

/// <summary>Documents, collections and searches the cluster scenarios share, and the check that an answer is complete.</summary>
/// <remarks>
/// Every document contains <see cref="CommonWord"/>, so a keyword search for it with top_k ≥ the collection size returns
/// every document, and so does a vector search with such a top_k (each shard's graph is small and fully reachable):
/// an answer is complete exactly when it returns every expected id, and a missing shard shows as missing ids.
/// </remarks>
public static class ClusterDocs
{
    public const int Dimension = 8;
    public const string CommonWord = "mosaicdoc";

    public static List<TestDoc> Make(ClusteredVectors vectors, string prefix, int count, int first = 0) =>
        Enumerable.Range(first, count).Select(i =>
        {
            string word = $"{prefix}{i}w";
            return new TestDoc($"{prefix}-{i}", word, $"{CommonWord} {word}", vectors.Next());
        }).ToList();

    public static JsonObject Collection(int shards, int replicas) => new()
    {
        ["dimension"] = Dimension,
        ["metric"] = "cosine",
        ["shards"] = shards,
        ["replicas"] = replicas,
    };

    /// <summary>Creates the collection, bulk-loads <paramref name="docs"/>, and returns the consistency token of the last bulk.</summary>
    /// <remarks>Small bulks, so that replicas start serving while the load still runs (as they would in production).</remarks>
    public static async Task<string> CreateAndLoadAsync(MosaicHttp http, string collection, JsonObject settings, IReadOnlyList<TestDoc> docs)
    {
        await http.CreateCollectionAsync(collection, settings);
        string token = "";
        foreach (var chunk in docs.Chunk(25))
        {
            var (written, t) = await http.BulkOkAsync(collection, chunk.Select(d => d.Line()));
            Xunit.Assert.Equal(chunk.Length, written);
            token = t;
        }

        return token;
    }

    /// <summary>
    /// A keyword search for the word every document has, asking for up to <paramref name="topK"/> hits; read-your-writes
    /// after <paramref name="token"/> when given.
    /// </summary>
    public static JsonObject KeywordAll(int topK, int timeoutMs, bool allowPartial = true, string? token = null)
    {
        var search = new JsonObject
        {
            ["mode"] = "keyword",
            ["query"] = CommonWord,
            ["top_k"] = topK,
            ["timeout_ms"] = timeoutMs,
            ["allow_partial"] = allowPartial,
            ["include"] = new JsonArray(),
        };
        if (token is not null)
        {
            search["consistency"] = new JsonObject { ["after"] = token };
        }

        return search;
    }

    /// <summary>A vector search asking for up to <paramref name="topK"/> hits (with top_k ≥ the collection size: all of them).</summary>
    public static JsonObject VectorAll(float[] vector, int topK, int timeoutMs, bool allowPartial = true) => new()
    {
        ["mode"] = "vector",
        ["vector"] = Vector(vector),
        ["top_k"] = topK,
        ["timeout_ms"] = timeoutMs,
        ["allow_partial"] = allowPartial,
        ["include"] = new JsonArray(),
    };

    /// <summary>A keyword search for one word, read-your-writes after <paramref name="token"/> when given.</summary>
    public static JsonObject Keyword(string word, string? token = null, int topK = 10, int timeoutMs = 10_000)
    {
        var search = new JsonObject { ["mode"] = "keyword", ["query"] = word, ["top_k"] = topK, ["timeout_ms"] = timeoutMs, ["include"] = new JsonArray("text") };
        if (token is not null)
        {
            search["consistency"] = new JsonObject { ["after"] = token };
        }

        return search;
    }

    /// <summary>
    /// Sends <paramref name="search"/> and returns null when the answer is complete — 200, partial false, no failed shard,
    /// coverage 1, and exactly the <paramref name="expected"/> ids — else what was wrong with it.
    /// </summary>
    public static async Task<string?> IncompletenessAsync(MosaicHttp http, string collection, JsonObject search, IReadOnlySet<string> expected)
    {
        ApiResponse r;
        try
        {
            r = await http.PostAsync($"collections/{collection}/search", search);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return $"{search["mode"]} search via {http.BaseUrl}: no answer ({ex.GetType().Name}: {ex.Message})";
        }

        if (r.Status != HttpStatusCode.OK)
        {
            return $"{search["mode"]} search: {r.Describe()}";
        }

        var o = r.Object;
        bool partial = o["partial"]?.GetValue<bool>() ?? true;
        int failed = o["shards"]?["failed"]?.GetValue<int>() ?? -1;
        double coverage = o["coverage"]?.GetValue<double>() ?? -1;
        var ids = MosaicHttp.HitIds(o);
        var missing = expected.Except(ids).ToList();
        var unexpected = ids.Except(expected).ToList();
        if (!partial && failed == 0 && coverage == 1.0 && missing.Count == 0 && unexpected.Count == 0 && ids.Count == expected.Count)
        {
            return null;
        }

        return $"{search["mode"]} search via {http.BaseUrl}: partial {partial}, failed {failed}, coverage {coverage}, shards {o["shards"]?.ToJsonString()}, "
            + $"{ids.Count} hits of {expected.Count}, missing [{string.Join(',', missing.Take(10))}], unexpected [{string.Join(',', unexpected.Take(10))}]";
    }
}
