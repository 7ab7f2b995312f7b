using Microsoft.Extensions.Options;
using Mosaic.Contracts;
using Mosaic.Core.Observability;
using Mosaic.Core.Placement;
using Mosaic.Core.Scaling;
using Mosaic.Hosting.Observability;

namespace Mosaic.Hosting.Advice;

/// <summary>
/// Turns the sampled signals of the last <see cref="AdviceOptions.Window"/> into advice: coordinators and workers up or
/// down by the HPA algorithm (<see cref="HorizontalScaler"/>, one per role, so stabilization and rate policies span
/// evaluations), shards to split, hot shards to replicate and where, workers whose data disk is below its floor, and rates to investigate. Every recommendation
/// carries its reason with the numbers. The desired replica counts are exported as <c>mosaic_desired_replicas{role}</c>.
/// </summary>
/// <remarks>It evaluates after every sample of <see cref="ClusterSampler"/>, so its windows advance with the clock, not with requests.</remarks>
public sealed partial class Advisor
{
    private readonly AdviceOptions _options;
    private readonly TimeProvider _time;
    private readonly HorizontalScaler _coordinators;
    private readonly HorizontalScaler _workers;
    private readonly Lock _lock = new();
    private AdviceResponse? _latest;

    public Advisor(IOptions<AdviceOptions> options, MosaicMetrics metrics, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _options = options.Value;
        _time = time;
        _coordinators = new HorizontalScaler(_options.Coordinators.ToScaler(), time);
        _workers = new HorizontalScaler(_options.Workers.ToScaler(), time);
        metrics.AddDesiredReplicasSource(() => Latest?.Roles.Select(r => KeyValuePair.Create(r.Role, r.Desired)) ?? []);
    }

    /// <summary>The latest advice, or null before the first sample.</summary>
    public AdviceResponse? Latest => Volatile.Read(ref _latest);

    /// <summary>Advice from <paramref name="samples"/> (oldest first; the last one is the cluster as it is now).</summary>
    public AdviceResponse Evaluate(IReadOnlyList<ClusterSample> samples)
    {
        ArgumentOutOfRangeException.ThrowIfZero(samples.Count);
        lock (_lock)
        {
            var advice = Compute(samples);
            Volatile.Write(ref _latest, advice);
            return advice;
        }
    }

    private AdviceResponse Compute(IReadOnlyList<ClusterSample> samples)
    {
        var now = samples[^1];
        var cluster = now.Cluster;
        var api = SignalWindow.Merge([.. samples.Select(s => s.Api)], consecutive: true);
        var alive = cluster.Nodes.Where(n => n.State == "alive").ToList();
        var apiNodes = alive.Where(n => NodeRoles.Parse(n.Role)?.ServesApi() == true).Select(n => n.Name).ToHashSet();
        var holders = alive.Where(n => NodeRoles.Parse(n.Role)?.HoldsShards() == true).Select(n => n.Name).ToHashSet();
        bool embedded = cluster.Nodes.Count == 1 && cluster.Nodes[0].Name == NodeInfo.EmbeddedId;
        var recommendations = new List<RecommendationResponse>();

        var coordinatorMetrics = new List<MetricRatio>();
        if (AverageCpu(samples, apiNodes) is double coordinatorCpu)
        {
            coordinatorMetrics.Add(new MetricRatio("cpu", coordinatorCpu, _options.Coordinators.TargetCpuUtilization, "%"));
        }

        if (_options.Coordinators.TargetQpsPerReplica is double coordinatorQps && apiNodes.Count > 0)
        {
            coordinatorMetrics.Add(new MetricRatio("searches per coordinator", api.Qps / apiNodes.Count, coordinatorQps, "/s"));
        }

        var workerMetrics = new List<MetricRatio>();
        if (AverageCpu(samples, holders) is double workerCpu)
        {
            workerMetrics.Add(new MetricRatio("cpu", workerCpu, _options.Workers.TargetCpuUtilization, "%"));
        }

        if (_options.Workers.TargetP99Ms is double p99Target && api.P99Ms is double p99)
        {
            workerMetrics.Add(new MetricRatio("search p99", p99, p99Target, "ms"));
        }

        var replicas = cluster.Collections.SelectMany(c => c.Shards.SelectMany(s => s.Replicas.Select(r => (Collection: c, Shard: s, Replica: r)))).ToList();
        var qps = WindowQps(samples);
        if (_options.Workers.TargetLag is long lagTarget && replicas.Count > 0)
        {
            workerMetrics.Add(new MetricRatio("max replica lag", replicas.Max(r => r.Replica.Lag), lagTarget, "changes"));
        }

        if (_options.Workers.TargetQpsPerReplica is double workerQps && holders.Count > 0)
        {
            workerMetrics.Add(new MetricRatio("shard searches per worker", replicas.Sum(r => qps.Of(r.Collection.Name, r.Shard.Shard, r.Replica)) / holders.Count, workerQps, "/s"));
        }

        var roles = new List<RoleAdviceResponse>
        {
            Role("coordinator", _coordinators.Recommend(apiNodes.Count, coordinatorMetrics), coordinatorMetrics, embedded, recommendations),
            Role("worker", _workers.Recommend(holders.Count, workerMetrics), workerMetrics, embedded, recommendations),
        };

        ShardAdvice(cluster, holders, qps, recommendations);
        DiskAdvice(cluster, recommendations);
        DrainAdvice(cluster, recommendations);
        RateAdvice(api, cluster, recommendations);
        if (recommendations.Count == 0)
        {
            recommendations.Add(new RecommendationResponse("none", $"no change: every signal is within its target over the last {api.Length.TotalSeconds:0} s " +
                $"({api.Qps:0.#} searches/s, p99 {Ms(api.P99Ms)})"));
        }

        return new AdviceResponse(_time.GetUtcNow(), api.Length.TotalSeconds, embedded, roles, recommendations, new SignalSummaryResponse(
            now.At, api.Length.TotalSeconds, api.Searches, Math.Round(api.Qps, 2), Round(api.P50Ms), Round(api.P99Ms), Math.Round(api.ErrorRate, 4), Math.Round(api.PartialRate, 4),
            api.CacheHitRate is { } hit ? Math.Round(hit, 4) : null));
    }

    private static RoleAdviceResponse Role(string role, ScalingDecision decision, List<MetricRatio> metrics, bool embedded, List<RecommendationResponse> recommendations)
    {
        int delta = decision.Desired - decision.Current;
        if (delta != 0)
        {
            string verb = delta > 0 ? "add" : "remove";
            string what = $"{verb} {Math.Abs(delta)} {role}{(Math.Abs(delta) == 1 ? "" : "s")} ({decision.Current} → {decision.Desired})";
            string reason = embedded && delta > 0
                ? $"{what}: this embedded server is one process; run a cluster (mosaic coordinator + mosaic worker over PostgreSQL) to scale. {decision.Reason}"
                : $"{what}: {decision.Reason}";
            recommendations.Add(new RecommendationResponse($"{verb}_{role}s", reason, Count: Math.Abs(delta)));
        }

        return new RoleAdviceResponse(role, decision.Current, decision.Raw, decision.Stabilized, decision.Desired, decision.Reason,
            [.. metrics.Select(m => new MetricAdviceResponse(m.Name, Math.Round(m.Value, 4), m.Target, Math.Round(m.Ratio, 3)))]);
    }

    private void ShardAdvice(ClusterResponse cluster, IReadOnlySet<string> holders, ReplicaQps qps, List<RecommendationResponse> recommendations)
    {
        foreach (var collection in cluster.Collections)
        {
            var serving = collection.Shards.Where(s => s.State == "serving" && s.Replicas.Count > 0).ToList();
            double meanQps = serving.Count == 0 ? 0 : serving.Average(s => s.Replicas.Sum(r => qps.Of(collection.Name, s.Shard, r)));
            foreach (var shard in serving)
            {
                long docs = shard.Replicas.Max(r => r.DocCount) ?? 0;
                long bytes = shard.Replicas.Max(r => r.Bytes);
                if (docs > _options.SplitShardDocs || bytes > _options.SplitShardBytes)
                {
                    recommendations.Add(new RecommendationResponse("split_shard",
                        $"split shard {shard.Shard} of '{collection.Name}' (slots {shard.Range}): {docs:N0} documents (threshold {_options.SplitShardDocs:N0}), " +
                        $"{bytes / 1048576.0:N0} MiB (threshold {_options.SplitShardBytes / 1048576.0:N0} MiB); POST /collections/{collection.Name}/shards/{shard.Shard}:split",
                        collection.Name, shard.Shard));
                }

                double shardQps = shard.Replicas.Sum(r => qps.Of(collection.Name, shard.Shard, r));
                double perReplica = shardQps / shard.Replicas.Count;
                bool hot = perReplica > _options.HotShardQpsPerReplica;
                bool skewed = serving.Count > 1 && shardQps >= _options.HotShardMinQps && shardQps > _options.HotShardSkew * meanQps;
                if (hot || skewed)
                {
                    var held = shard.Replicas.Select(r => r.Node).ToHashSet();
                    var target = cluster.Nodes.Where(n => holders.Contains(n.Name) && !held.Contains(n.Name)).OrderBy(n => n.Weight).ThenBy(n => n.ShardsHeld).FirstOrDefault();
                    string why = hot
                        ? $"{perReplica:0.#} searches/s per replica (threshold {_options.HotShardQpsPerReplica:0.#})"
                        : $"{shardQps:0.#} searches/s, {shardQps / meanQps:0.#}× the collection's mean shard ({meanQps:0.#}/s; threshold {_options.HotShardSkew:0.#}×)";
                    // R is per collection: raising it gives every shard one more replica, this one included.
                    string raise = $"raise the collection's replicas to {shard.Replicas.Count + 1} (PATCH /collections/{collection.Name} {{\"replicas\": {shard.Replicas.Count + 1}}})";
                    recommendations.Add(new RecommendationResponse("add_replica",
                        $"shard {shard.Shard} of '{collection.Name}' is hot: {why}; " +
                        (target is null ? $"every live worker already holds it: add a worker, then {raise}"
                                        : $"{raise}: placement puts its new replica on the least loaded worker without one, {target.Name} (weight {target.Weight:N0})"),
                        collection.Name, shard.Shard, target?.Name));
                }
            }
        }

        if (cluster.ShardImbalance > _options.MaxImbalance)
        {
            recommendations.Add(new RecommendationResponse("rebalance",
                $"node weights are {cluster.ShardImbalance:0.##}× apart (threshold {_options.MaxImbalance:0.##}×): placement moves replicas by itself above " +
                (cluster.RebalanceBlocked is { } why
                    ? $"Mosaic:Placement:RebalanceAbove, but cannot now: {why}"
                    : "Mosaic:Placement:RebalanceAbove; if it persists, check for drained nodes or a shard too big to move (split it)")));
        }
    }

    private void RateAdvice(SignalWindow api, ClusterResponse cluster, List<RecommendationResponse> recommendations)
    {
        if (api.Requests > 0 && api.ErrorRate > _options.MaxErrorRate)
        {
            recommendations.Add(new RecommendationResponse("investigate_errors",
                $"{api.ErrorRate:P1} of API requests failed with 5xx ({api.ServerErrors} of {api.Requests}; threshold {_options.MaxErrorRate:P1}): more nodes will not fix it; read the coordinators' logs and mosaic_store_errors_total"));
        }

        if (api.Searches > 0 && api.PartialRate > _options.MaxPartialRate)
        {
            int noReplica = cluster.Collections.Sum(c => c.Shards.Count(s => s.State == "serving" && !s.Replicas.Any(r => r.State == "serving")));
            recommendations.Add(new RecommendationResponse("investigate_partial",
                $"{api.PartialRate:P1} of searches were partial or failed ({api.Partial + api.Failed} of {api.Searches}; threshold {_options.MaxPartialRate:P1}); " +
                $"{noReplica} shard(s) have no serving replica; slow or dead workers time shards out: check worker CPU and lag, and give shards a second replica"));
        }
    }

    /// <summary>
    /// Each replica's searches/s averaged over the window's samples. A replica reports the rate of its last report period
    /// (2 s) only; averaged over the samples, it covers the same window as the coordinators' searches it is compared with,
    /// so a load that ramps up or down does not make a shard look hotter (or cooler) than the searches sent to it.
    /// </summary>
    private static ReplicaQps WindowQps(IReadOnlyList<ClusterSample> samples)
    {
        var seen = new Dictionary<(string, int, string), (double Sum, int Count)>();
        foreach (var sample in samples)
        {
            foreach (var c in sample.Cluster.Collections)
            {
                foreach (var s in c.Shards)
                {
                    foreach (var r in s.Replicas)
                    {
                        var (sum, count) = seen.GetValueOrDefault((c.Name, s.Shard, r.Node));
                        seen[(c.Name, s.Shard, r.Node)] = (sum + r.Qps, count + 1);
                    }
                }
            }
        }

        return new ReplicaQps(seen.ToDictionary(p => p.Key, p => p.Value.Sum / p.Value.Count));
    }

    /// <summary>Window-averaged searches/s by (collection, shard, node).</summary>
    private sealed class ReplicaQps(Dictionary<(string, int, string), double> averages)
    {
        public double Of(string collection, int shard, ReplicaResponse replica) => averages.GetValueOrDefault((collection, shard, replica.Node), replica.Qps);
    }

    /// <summary>The mean CPU of <paramref name="nodes"/> over the samples (each node's readings averaged, then the nodes);
    /// null when none reported.</summary>
    private static double? AverageCpu(IReadOnlyList<ClusterSample> samples, IReadOnlySet<string> nodes)
    {
        var perNode = nodes.Select(name => samples.SelectMany(s => s.Nodes.Where(n => n.Node.Name == name && n.Signals?.CpuUtilization is not null).Select(n => n.Signals!.CpuUtilization!.Value)).ToList())
            .Where(readings => readings.Count > 0)
            .Select(readings => readings.Average())
            .ToList();
        return perNode.Count == 0 ? null : perNode.Average();
    }

    private static string Ms(double? ms) => ms is double v ? $"{v:0.#} ms" : "n/a";

    private static double? Round(double? v) => v is double x ? Math.Round(x, 2) : null;
}
