using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mosaic.Contracts;
using Mosaic.Core.Observability;
using Mosaic.Core.Placement;
using Mosaic.Hosting.Cluster;

namespace Mosaic.Hosting.Observability;

/// <summary>
/// Every <see cref="ObservabilityOptions.SampleInterval"/>, reads the cluster's nodes and placement from the store and
/// asks every live node for its /signals since the previous pass; keeps the samples of the last
/// <see cref="ObservabilityOptions.History"/> for the dashboard, the advisor and the imbalance gauge.
/// </summary>
/// <remarks>
/// Sampling in the background keeps a dashboard refresh or an advice request from fanning out to every node. Each node
/// reports its own counts and latency buckets, so the cluster's QPS and quantiles are sums over nodes, not one
/// coordinator's share of the traffic. A node that does not answer within <see cref="ObservabilityOptions.NodeTimeout"/>
/// is in the sample without signals. Workers speak HTTP/2 only on their port, so they are asked with HTTP/2 prior knowledge.
/// </remarks>
public sealed partial class ClusterSampler : BackgroundService
{
    /// <summary>A pass after a long pause (a stalled process) reads at most this much back.</summary>
    private const int MaxSampleSeconds = 60;

    private readonly IClusterStatus _status;
    private readonly SignalRecorder _recorder;
    private readonly ObservabilityOptions _options;
    private readonly string _nodeId;
    private readonly string _self;
    private readonly TimeProvider _time;
    private readonly ILogger<ClusterSampler> _logger;
    private readonly HttpClient _http;
    private readonly Lock _lock = new();
    private readonly Queue<ClusterSample> _history = new();
    private readonly SemaphoreSlim _sampling = new(1, 1);
    private ClusterSample? _latest;
    private long? _nextSecond;

    internal ClusterSampler(IClusterStatus status, SignalRecorder recorder, MosaicMetrics metrics, IOptions<ObservabilityOptions> options,
        string nodeId, string selfAddress, TimeProvider time, ILogger<ClusterSampler> logger)
    {
        _status = status;
        _recorder = recorder;
        _options = options.Value;
        _nodeId = nodeId;
        _self = selfAddress;
        _time = time;
        _logger = logger;
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1) }) { Timeout = _options.NodeTimeout };
        metrics.AddImbalanceSource(() => Latest?.Imbalances() ?? []);
    }

    /// <summary>Raised after every sample, on the sampling thread (the advisor evaluates on it).</summary>
    public event Action<ClusterSample>? Sampled;

    /// <summary>The latest sample, or null before the first one finished.</summary>
    public ClusterSample? Latest => Volatile.Read(ref _latest);

    /// <summary>The samples taken within <paramref name="span"/> of now, oldest first.</summary>
    public IReadOnlyList<ClusterSample> History(TimeSpan span)
    {
        var since = _time.GetUtcNow() - span;
        lock (_lock)
        {
            return [.. _history.Where(s => s.At > since)];
        }
    }

    /// <summary>
    /// As <see cref="History"/>, and at least the latest sample: a sample is dated when its pass starts, so a pass slower
    /// than <paramref name="span"/> (a hung node waited on for <see cref="ObservabilityOptions.NodeTimeout"/>, a loaded
    /// machine) is already outside the span when it ends, yet it is the cluster as it is now. Empty only before the first.
    /// </summary>
    public IReadOnlyList<ClusterSample> HistoryOrLatest(TimeSpan span) =>
        History(span) is { Count: > 0 } window ? window : Latest is { } latest ? [latest] : [];

    /// <summary>The latest sample, taking one first if there is none yet (the first request right after start).</summary>
    public async Task<ClusterSample> LatestOrSampleAsync(CancellationToken ct) => Latest ?? await SampleAsync(ct).ConfigureAwait(false);

    /// <summary>Takes a sample now and adds it to the history.</summary>
    public async Task<ClusterSample> SampleAsync(CancellationToken ct)
    {
        await _sampling.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var now = _time.GetUtcNow();
            // Whole seconds after the previous pass's, up to the last complete one: every second is counted once.
            long to = now.ToUnixTimeSeconds() - 1;
            long from = Math.Clamp(_nextSecond ?? to - (long)Math.Max(1, _options.SampleInterval.TotalSeconds) + 1, to - MaxSampleSeconds + 1, to);
            var window = TimeSpan.FromSeconds(to - from + 1);
            var cluster = await _status.DescribeAsync(_self, ct).ConfigureAwait(false);
            var nodes = await Task.WhenAll(cluster.Nodes.Select(n => SampleNodeAsync(n, from, to, ct))).ConfigureAwait(false);
            _nextSecond = to + 1;
            var api = nodes.Where(n => n.Signals is not null && NodeRoles.Parse(n.Node.Role) is { } role && role.ServesApi()).Select(n => n.Signals!).ToList();
            var sample = new ClusterSample(now, cluster, nodes, api.Count == 0 ? SignalWindow.Empty(window) : SignalWindow.Merge(api));
            lock (_lock)
            {
                _history.Enqueue(sample);
                while (_history.Peek().At < now - ObservabilityOptions.History)
                {
                    _history.Dequeue();
                }
            }

            Volatile.Write(ref _latest, sample);
            Sampled?.Invoke(sample);
            return sample;
        }
        finally
        {
            _sampling.Release();
        }
    }

    public override void Dispose()
    {
        _http.Dispose();
        _sampling.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.SampleInterval, _time);
        do
        {
            try
            {
                await SampleAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogSampleFailed(ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private async Task<NodeSample> SampleNodeAsync(NodeResponse node, long from, long to, CancellationToken ct)
    {
        if (node.Name == _nodeId)
        {
            return new NodeSample(node, _recorder.Window(from, to), Environment.WorkingSet);
        }

        if (node.State == "dead")
        {
            return new NodeSample(node, null, null);
        }

        try
        {
            var role = NodeRoles.Parse(node.Role);
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{node.Address.TrimEnd('/')}/signals?from={from.ToString(CultureInfo.InvariantCulture)}&to={to.ToString(CultureInfo.InvariantCulture)}")
            {
                // A worker's port is HTTP/2 only (cleartext: no negotiation), so it is asked with prior knowledge.
                Version = role == NodeRole.Worker ? HttpVersion.Version20 : HttpVersion.Version11,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            using var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
            var signals = await response.Content.ReadFromJsonAsync(MosaicJson.Api.NodeSignalsResponse, ct).ConfigureAwait(false);
            return signals is null ? new NodeSample(node, null, null) : new NodeSample(node, NodeSignals.FromResponse(signals), signals.WorkingSetBytes);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException && !ct.IsCancellationRequested)
        {
            LogNodeSilent(node.Name, ex.Message);
            return new NodeSample(node, null, null);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not sample the cluster for the dashboard and advice; retrying")]
    private partial void LogSampleFailed(Exception ex);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Node {Node} did not give its signals: {Reason}")]
    private partial void LogNodeSilent(string node, string reason);
}
