using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Mosaic.ClusterTests.Cluster;
using Mosaic.Testing;
using Xunit;

namespace Mosaic.ClusterTests.Gateway;

/// <summary>Starting <c>mosaic gateway</c> beside a test cluster, reading its /metrics, and loading a small collection.</summary>
internal static partial class Gateways
{
    /// <summary>Health checks fast enough for a test: probe every 0.5 s, out after 2 failed probes, a silent backend fails after 10 s
    /// (above the searches' own 5 s deadline, so a slow answer on a loaded machine is not taken for a dead backend).</summary>
    public static readonly string[] FastHealth =
    [
        "--Mosaic:Gateway:HealthInterval=00:00:00.500", "--Mosaic:Gateway:HealthTimeout=00:00:01", "--Mosaic:Gateway:UnhealthyAfter=2",
        "--Mosaic:Gateway:RequestTimeout=00:00:10", "--Mosaic:Gateway:DiscoveryInterval=00:00:00.500",
    ];

    public static Task<ClusterNode> StartAsync(ClusterHarness cluster, params string[] args)
    {
        int port = FreePort.Next();
        return cluster.StartOtherAsync("gateway", port, ["gateway", "--port", port.ToString(CultureInfo.InvariantCulture), .. args]);
    }

    /// <summary>--backends for the given coordinators.</summary>
    public static string Urls(IEnumerable<ClusterNode> nodes) => string.Join(',', nodes.Select(n => n.Url));

    /// <summary>
    /// Creates a collection of <paramref name="count"/> documents through coordinator 0 and waits until it answers completely
    /// through each of <paramref name="readers"/> (coordinator indexes; default all).
    /// </summary>
    public static async Task<(HashSet<string> Expected, ClusteredVectors Vectors)> LoadAsync(ClusterHarness cluster, int seed, string collection, int count = 60, IReadOnlyList<int>? readers = null)
    {
        var vectors = new ClusteredVectors(seed, ClusterDocs.Dimension, clusters: 4);
        var docs = ClusterDocs.Make(vectors, collection, count);
        await ClusterDocs.CreateAndLoadAsync(cluster.Http(0), collection, ClusterDocs.Collection(shards: 2, replicas: 1), docs);
        await cluster.WaitSettledAsync(collection, replicas: 1, TimeSpan.FromSeconds(60));
        var expected = docs.Select(d => d.Id).ToHashSet();
        foreach (int i in readers ?? Enumerable.Range(0, cluster.Coordinators.Count).ToList())
        {
            var http = cluster.Http(i);
            await Wait.WaitUntilAsync(async () => await ClusterDocs.IncompletenessAsync(http, collection, ClusterDocs.KeywordAll(count, 5000), expected) is null,
                TimeSpan.FromSeconds(30), $"complete answers from coordinator {i}");
        }

        return (expected, vectors);
    }

    /// <summary>The gateway's /metrics: attempts per backend and outcome, retries, and which backends it routes to.</summary>
    public static async Task<GatewayCounters> MetricsAsync(ClusterNode gateway)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        string text = await http.GetStringAsync($"{gateway.Url}/metrics");
        var sent = new Dictionary<string, long>();
        var failed = new Dictionary<string, long>();
        var up = new Dictionary<string, bool>();
        var inFlight = new Dictionary<string, long>();
        long retries = 0;
        foreach (Match m in MetricLine().Matches(text))
        {
            string name = m.Groups["name"].Value;
            var labels = Labels().Matches(m.Groups["labels"].Value).ToDictionary(l => l.Groups[1].Value, l => l.Groups[2].Value);
            long value = long.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
            switch (name)
            {
                case "mosaic_gateway_requests_total":
                    sent[labels["backend"]] = value;
                    break;
                case "mosaic_gateway_transport_errors_total":
                    failed[labels["backend"]] = value;
                    break;
                case "mosaic_gateway_retries_total":
                    retries = value;
                    break;
                case "mosaic_gateway_backend_up":
                    up[labels["backend"]] = value == 1;
                    break;
                case "mosaic_gateway_backend_in_flight":
                    inFlight[labels["backend"]] = value;
                    break;
            }
        }

        return new GatewayCounters(sent, failed, retries, up, inFlight, text);
    }

    /// <summary>Sends <paramref name="count"/> requests one after the other and counts which node answered each (the Mosaic-Node header); every answer must be 200.</summary>
    public static async Task<Dictionary<string, int>> AnsweringNodesAsync(string baseUrl, int count, Func<HttpRequestMessage> request)
    {
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl + "/"), Timeout = TimeSpan.FromSeconds(30) };
        var counts = new Dictionary<string, int>();
        for (int i = 0; i < count; i++)
        {
            using var message = request();
            using var response = await http.SendAsync(message);
            string body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{message.Method} {message.RequestUri} #{i}: {(int)response.StatusCode} {body}");
            string node = response.Headers.TryGetValues("Mosaic-Node", out var values) ? values.Single() : "(none)";
            counts[node] = counts.GetValueOrDefault(node) + 1;
        }

        return counts;
    }

    /// <summary>A keyword search for every document of <paramref name="collection"/>, as a request factory.</summary>
    public static Func<HttpRequestMessage> Search(string collection, int topK) => () => new HttpRequestMessage(HttpMethod.Post, $"collections/{collection}/search")
    {
        Content = new StringContent(ClusterDocs.KeywordAll(topK, 5000).ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
    };

    /// <summary>Every search of the load was answered completely.</summary>
    public static void AssertNoFailedSearch(QueryLoad load) =>
        Assert.True(load.Problems.Count == 0, $"{load.Problems.Count} of {load.Completed} searches failed:\n{string.Join('\n', load.Problems.Take(20))}");

    public static string Describe(IReadOnlyDictionary<string, int> counts) => string.Join(", ", counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}: {c.Value}"));

    [GeneratedRegex(@"^(?<name>mosaic_gateway_\w+)(\{(?<labels>[^}]*)\})? (?<value>\d+)\s*$", RegexOptions.Multiline)]
    private static partial Regex MetricLine();

    [GeneratedRegex("(\\w+)=\"([^\"]*)\"")]
    private static partial Regex Labels();
}

/// <summary>One reading of a gateway's /metrics.</summary>
internal sealed record GatewayCounters(
    IReadOnlyDictionary<string, long> Sent, IReadOnlyDictionary<string, long> Failed, long Retries, IReadOnlyDictionary<string, bool> Up,
    IReadOnlyDictionary<string, long> InFlight, string Text)
{
    /// <summary>Attempts sent to <paramref name="backend"/> (answered or failed).</summary>
    public long Attempts(ClusterNode backend) => Sent.GetValueOrDefault(backend.Url);

    public bool IsUp(ClusterNode backend) => Up.GetValueOrDefault(backend.Url);

    /// <summary>True when the backend is out of rotation and nothing sent to it is still waiting for an answer.</summary>
    public bool IsOutAndIdle(ClusterNode backend) => !IsUp(backend) && InFlight.GetValueOrDefault(backend.Url) == 0;
}
