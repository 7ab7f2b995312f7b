using System.Diagnostics;
using System.Diagnostics.Metrics;
using Mosaic.Core.Placement;

namespace Mosaic.Core.Observability;

/// <summary>
/// Mosaic's one <see cref="Meter"/> ("Mosaic") and every instrument on it: each metric's name, unit and meaning is
/// declared here and nowhere else. Parts record through the methods below; gauges read the sources parts register.
/// </summary>
/// <remarks>
/// Names follow OpenTelemetry's conventions; the Prometheus exporter turns "mosaic.search.duration" with unit "s" into
/// <c>mosaic_search_duration_seconds</c>, adds <c>_total</c> to counters and drops curly-brace units. The Prometheus
/// name of each instrument is in its comment. Tags are few and bounded (route templates, collection names, shard
/// numbers, fixed outcome words) so that series do not grow with traffic.
/// </remarks>
public sealed class MosaicMetrics : IDisposable
{
    /// <summary>The meter's name (what an exporter subscribes to).</summary>
    public const string MeterName = "Mosaic";

    /// <summary>The runtime's own meter (CPU time, working set, GC counts and pauses), exported next to ours.</summary>
    public const string RuntimeMeterName = "System.Runtime";

    /// <summary>
    /// Runtime instruments exported under another name: Prometheus reserves the "_count" suffix for histograms and
    /// summaries, and <c>promtool check metrics</c> rejects a gauge that ends with it.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> RuntimeRenames = new Dictionary<string, string>
    {
        ["dotnet.assembly.count"] = "dotnet.assemblies.loaded", // dotnet_assemblies_loaded
        ["dotnet.process.cpu.count"] = "dotnet.process.cpus", // dotnet_process_cpus
        ["dotnet.timer.count"] = "dotnet.timers.active", // dotnet_timers_active
    };

    // Seconds: from 0.25 ms (a cached hit) to 10 s (the longest search timeout), roughly x2-x2.5 apart.
    private static readonly double[] LatencyBuckets = [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Meter _meter;
    private readonly Histogram<double> _requestDuration;
    private readonly Counter<long> _searches;
    private readonly Histogram<double> _searchDuration;
    private readonly Counter<long> _shardRequests;
    private readonly Counter<long> _hedgesIssued;
    private readonly Counter<long> _hedgesWon;
    private readonly Counter<long> _cacheLookups;
    private readonly Counter<long> _storeErrors;
    private readonly Counter<long> _writes;
    private readonly Lock _sourcesLock = new();
    private readonly List<Func<IEnumerable<ShardGauge>>> _shardSources = [];
    private readonly List<Func<IEnumerable<KeyValuePair<string, double>>>> _imbalanceSources = [];
    private readonly List<Func<IEnumerable<KeyValuePair<string, int>>>> _desiredReplicaSources = [];
    private readonly List<Func<IEnumerable<KeyValuePair<string, NodeDisk?>>>> _diskSources = [];

    public MosaicMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _meter = meters.Create(MeterName);
        var latency = new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets };

        // mosaic_http_request_duration_seconds{route,method,status}: every HTTP request, by route template.
        _requestDuration = _meter.CreateHistogram("mosaic.http.request.duration", "s", "Time to answer an HTTP request, by route template, method and status code.", advice: latency);
        // mosaic_searches_total{collection,outcome}: searches answered by this coordinator; outcome complete|partial|failed.
        _searches = _meter.CreateCounter<long>("mosaic.searches", "{search}", "Searches answered by this coordinator, by collection and outcome (complete, partial, failed).");
        // mosaic_search_duration_seconds{collection}: scatter, gather and merge of one search.
        _searchDuration = _meter.CreateHistogram("mosaic.search.duration", "s", "Time of one search from arrival to merged answer, by collection.", advice: latency);
        // mosaic_shard_requests_total{collection,shard,outcome}: one per shard per search; outcome hit|timeout|unavailable|error.
        _shardRequests = _meter.CreateCounter<long>("mosaic.shard.requests", "{request}", "Shard calls of searches, by collection, shard and outcome (hit, timeout, unavailable, error).");
        // mosaic_shard_hedges_issued_total{collection,shard}: a second replica asked because the first was slow.
        _hedgesIssued = _meter.CreateCounter<long>("mosaic.shard.hedges.issued", "{hedge}", "Hedged shard calls: another replica asked because the first was slower than the hedge delay.");
        // mosaic_shard_hedges_won_total{collection,shard}: hedges whose answer came first.
        _hedgesWon = _meter.CreateCounter<long>("mosaic.shard.hedges.won", "{hedge}", "Hedged shard calls whose answer arrived before the first replica's.");
        // mosaic_cache_lookups_total{cache,result}: result hit|miss.
        _cacheLookups = _meter.CreateCounter<long>("mosaic.cache.lookups", "{lookup}", "Cache lookups, by cache and result (hit, miss).");
        // mosaic_store_errors_total{operation}: store calls that failed (connection lost, failover, disk full...).
        _storeErrors = _meter.CreateCounter<long>("mosaic.store.errors", "{error}", "Store calls that failed, by operation.");
        // mosaic_writes_total{collection,operation}: documents written (upsert|delete) and acknowledged.
        _writes = _meter.CreateCounter<long>("mosaic.writes", "{document}", "Documents written and acknowledged, by collection and operation (upsert, delete).");

        // mosaic_shard_documents{collection,shard,node}, mosaic_shard_size_bytes, mosaic_shard_replication_lag: per held replica.
        _meter.CreateObservableGauge("mosaic.shard.documents", () => ObserveShards(g => g.Documents), "{document}", "Documents held by a shard replica on this node.");
        _meter.CreateObservableGauge("mosaic.shard.size", () => ObserveShards(g => g.Bytes), "By", "Bytes of a shard replica on this node: shard file plus in-memory index.");
        _meter.CreateObservableGauge("mosaic.shard.replication.lag", () => ObserveShards(g => g.Lag), "{change}", "Replication lag of a shard replica: store sequence minus applied sequence, summed over its slots.");
        // mosaic_shard_searches_total{collection,shard,node}: shard searches a held replica served (not its dfs or fetch calls).
        _meter.CreateObservableCounter("mosaic.shard.searches", () => ObserveShards(g => g.Searches), "{search}", "Searches served by a shard replica on this node since it opened; the keyword-statistics and payload-fetch calls of a search are not counted.");
        // mosaic_pending_applies: the apply queue of the whole node (changes in the store not yet applied by any held replica).
        _meter.CreateObservableGauge("mosaic.pending_applies", ObservePendingApplies, "{change}", "Changes committed to the store that this node's replicas have not applied yet.");
        // mosaic_shard_imbalance{collection}: largest shard's documents over the mean; 1 is perfectly even.
        _meter.CreateObservableGauge("mosaic.shard.imbalance", ObserveImbalance, null, "Largest shard's document count over the mean shard's, per collection (1 = even).");
        // mosaic_desired_replicas{role}: what the advisor recommends, for an external-metrics autoscaler.
        _meter.CreateObservableGauge("mosaic.desired_replicas", ObserveDesiredReplicas, "{replica}", "Replicas of a role that the advisor recommends (HPA algorithm, stabilized).");
        // mosaic_data_disk_free_bytes{node}, mosaic_data_disk_size_bytes, mosaic_data_disk_floor_bytes: the disk shard files
        // are on (workers, serve); free below floor is what placement calls disk low.
        _meter.CreateObservableGauge("mosaic.data_disk.free", () => ObserveDisks(d => d.FreeBytes), "By", "Free bytes (available to the process) of the filesystem this node's shard files are on.");
        _meter.CreateObservableGauge("mosaic.data_disk.size", () => ObserveDisks(d => d.TotalBytes), "By", "Size of the filesystem this node's shard files are on.");
        _meter.CreateObservableGauge("mosaic.data_disk.floor", () => ObserveDisks(d => d.FloorBytes), "By", "Free bytes below which this node gets no new shard replicas (Mosaic:Worker:DiskFloorBytes, DiskFloorFraction).");
    }

    /// <summary>One HTTP request; <paramref name="route"/> is the endpoint's template, never the raw path.</summary>
    public void RecordRequest(string route, string method, int status, TimeSpan elapsed) =>
        _requestDuration.Record(elapsed.TotalSeconds, new TagList { { "route", route }, { "method", method }, { "status", status } });

    /// <summary>One search: <paramref name="outcome"/> is complete, partial or failed.</summary>
    public void RecordSearch(string collection, string outcome, TimeSpan elapsed)
    {
        _searches.Add(1, new KeyValuePair<string, object?>("collection", collection), new KeyValuePair<string, object?>("outcome", outcome));
        _searchDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("collection", collection));
    }

    /// <summary>One shard's part of a search: hit, timeout, unavailable or error.</summary>
    public void RecordShardRequest(string collection, int shard, string outcome) =>
        _shardRequests.Add(1, new TagList { { "collection", collection }, { "shard", shard }, { "outcome", outcome } });

    /// <summary>A hedge was sent to another replica of the shard.</summary>
    public void RecordHedgeIssued(string collection, int shard) =>
        _hedgesIssued.Add(1, new KeyValuePair<string, object?>("collection", collection), new KeyValuePair<string, object?>("shard", shard));

    /// <summary>A hedge answered first.</summary>
    public void RecordHedgeWon(string collection, int shard) =>
        _hedgesWon.Add(1, new KeyValuePair<string, object?>("collection", collection), new KeyValuePair<string, object?>("shard", shard));

    /// <summary>A cache lookup; <paramref name="cache"/> names the cache (e.g. "search", "embedding").</summary>
    public void RecordCacheLookup(string cache, bool hit) =>
        _cacheLookups.Add(1, new KeyValuePair<string, object?>("cache", cache), new KeyValuePair<string, object?>("result", hit ? "hit" : "miss"));

    /// <summary>A store call failed.</summary>
    public void RecordStoreError(string operation) => _storeErrors.Add(1, new KeyValuePair<string, object?>("operation", operation));

    /// <summary>Documents acknowledged by a write; <paramref name="operation"/> is upsert or delete.</summary>
    public void RecordWrites(string collection, string operation, int documents) =>
        _writes.Add(documents, new KeyValuePair<string, object?>("collection", collection), new KeyValuePair<string, object?>("operation", operation));

    /// <summary>Adds a source of per-replica figures (a worker's held replicas), read at every scrape.</summary>
    public void AddShardSource(Func<IEnumerable<ShardGauge>> source) => Add(_shardSources, source);

    /// <summary>Adds a source of per-collection imbalance (collection → max/mean documents), read at every scrape.</summary>
    public void AddImbalanceSource(Func<IEnumerable<KeyValuePair<string, double>>> source) => Add(_imbalanceSources, source);

    /// <summary>Adds a source of desired replica counts (role → replicas), read at every scrape.</summary>
    public void AddDesiredReplicasSource(Func<IEnumerable<KeyValuePair<string, int>>> source) => Add(_desiredReplicaSources, source);

    /// <summary>Adds a source of data disks (node → its disk now, null when unreadable), read at every scrape.</summary>
    public void AddDiskSource(Func<IEnumerable<KeyValuePair<string, NodeDisk?>>> source) => Add(_diskSources, source);

    /// <summary>True when <paramref name="instrument"/> is one of this instance's (a process hosting several Mosaic apps,
    /// as the integration tests do, has one meter per app under the same name).</summary>
    public bool Owns(Instrument instrument) => ReferenceEquals(instrument?.Meter, _meter);

    public void Dispose() => _meter.Dispose();

    private void Add<T>(List<T> sources, T source)
    {
        lock (_sourcesLock)
        {
            sources.Add(source);
        }
    }

    private List<TValue> Read<TValue>(List<Func<IEnumerable<TValue>>> sources)
    {
        Func<IEnumerable<TValue>>[] copy;
        lock (_sourcesLock)
        {
            copy = [.. sources];
        }

        return copy.SelectMany(s => s()).ToList();
    }

    private IEnumerable<Measurement<long>> ObserveShards(Func<ShardGauge, long> value) =>
        Read(_shardSources).Select(g => new Measurement<long>(value(g), new TagList { { "collection", g.Collection }, { "shard", g.Shard }, { "node", g.Node } }));

    private IEnumerable<Measurement<long>> ObservePendingApplies()
    {
        var shards = Read(_shardSources);
        return shards.Count == 0 ? [] : [new Measurement<long>(shards.Sum(g => g.Lag))];
    }

    private IEnumerable<Measurement<double>> ObserveImbalance() =>
        Read(_imbalanceSources).Select(p => new Measurement<double>(p.Value, new KeyValuePair<string, object?>("collection", p.Key)));

    private IEnumerable<Measurement<long>> ObserveDisks(Func<NodeDisk, long> value) =>
        Read(_diskSources).Where(p => p.Value is not null).Select(p => new Measurement<long>(value(p.Value!), new KeyValuePair<string, object?>("node", p.Key)));

    private IEnumerable<Measurement<int>> ObserveDesiredReplicas() =>
        Read(_desiredReplicaSources).Select(p => new Measurement<int>(p.Value, new KeyValuePair<string, object?>("role", p.Key)));
}
