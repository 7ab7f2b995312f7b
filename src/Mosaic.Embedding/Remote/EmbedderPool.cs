using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Mosaic.Core.Embedding;
using Mosaic.Core.Errors;
using Mosaic.Core.Placement;
using Mosaic.Core.Seams;
using Mosaic.Embedding.Onnx;

namespace Mosaic.Embedding.Remote;

/// <summary>Spreads embed calls over the <c>mosaic embedder</c> nodes registered in the cluster store; in-process when there are none.</summary>
/// <remarks>
/// <para>
/// The node list is read from the store at most once per <see cref="RefreshInterval"/> (the last good list is kept while
/// the store is unreachable). With no embedder node registered at all, calls go to <c>local</c> (the model in this
/// process). With some registered, calls never fall back to local: a coordinator sized for API traffic should not
/// suddenly run the model; when none answers, the call fails with 503 and Retry-After.
/// </para>
/// <para>
/// Each call goes to the live node with the fewest calls in flight from this process, with
/// <see cref="EmbeddingOptions.Timeout"/> as its deadline. A failure (refused, timed out, 5xx) puts that node aside for
/// <see cref="EmbeddingOptions.FailedNodeCooldown"/> and retries at once on the next node, until every live node was
/// tried once. Long lists are split into chunks of <see cref="EmbeddingOptions.RemoteChunk"/> texts (and at most
/// <see cref="EmbeddingOptions.MaxRequestCharacters"/> characters) sent in parallel.
/// </para>
/// </remarks>
public sealed partial class EmbedderPool(
    INodeRegistry registry, IEmbedder local, Func<string, IEmbedder> connect, EmbeddingOptions options, TimeProvider time, ILogger<EmbedderPool> logger) : IEmbedder
{
    /// <summary>How stale the node list may be: about a third of the default node lease, like the lease renewal.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, Endpoint> _endpoints = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private IReadOnlyList<NodeInfo>? _nodes;
    private long _nodesAt;

    public async Task<EmbeddingResult> EmbedAsync(string model, IReadOnlyList<string> texts, CancellationToken ct)
    {
        _ = EmbeddingModel.Get(model, "model");
        var nodes = await EmbedderNodesAsync(ct).ConfigureAwait(false);
        if (nodes.Count == 0)
        {
            return await local.EmbedAsync(model, texts, ct).ConfigureAwait(false);
        }

        var chunks = Chunks(texts);
        if (chunks.Count == 1)
        {
            return await CallAsync(model, chunks[0], nodes, ct).ConfigureAwait(false);
        }

        var results = await Task.WhenAll(chunks.Select(c => CallAsync(model, c, nodes, ct))).ConfigureAwait(false);
        return new EmbeddingResult(results.SelectMany(r => r.Vectors).ToList(), results.Sum(r => r.Tokens));
    }

    private async Task<EmbeddingResult> CallAsync(string model, IReadOnlyList<string> texts, IReadOnlyList<NodeInfo> nodes, CancellationToken ct)
    {
        var tried = new HashSet<string>(StringComparer.Ordinal);
        MosaicException? last = null;
        while (true)
        {
            long now = time.GetTimestamp();
            var (node, endpoint) = nodes
                .Where(n => n.Live && !tried.Contains(n.Address))
                .Select(n => (Node: n, Endpoint: _endpoints.GetOrAdd(n.Address, a => new Endpoint(connect(a)))))
                .OrderBy(c => c.Endpoint.CoolingDown(now))
                .ThenBy(c => c.Endpoint.InFlight)
                .FirstOrDefault();
            if (endpoint is null)
            {
                throw new MosaicException(
                    ErrorKind.Unavailable,
                    "embedder_unavailable",
                    last is null ? $"embedder: none of the {nodes.Count} registered embedder node(s) is live" : $"embedder: no live embedder node answered ({last.Detail})")
                { RetryAfter = TimeSpan.FromSeconds(1) };
            }

            tried.Add(node.Address);
            endpoint.Begin();
            try
            {
                return await endpoint.Client.EmbedAsync(model, texts, ct).ConfigureAwait(false);
            }
            catch (MosaicException ex) when (ex.Kind == ErrorKind.Unavailable && !ct.IsCancellationRequested)
            {
                last = ex;
                endpoint.FailedUntil = time.GetTimestamp() + (long)(options.FailedNodeCooldown.TotalSeconds * time.TimestampFrequency);
                LogNodeFailed(logger, node.NodeId, ex.Detail);
            }
            finally
            {
                endpoint.End();
            }
        }
    }

    /// <summary>
    /// The texts in calls of at most <see cref="EmbeddingOptions.RemoteChunk"/> texts and
    /// <see cref="EmbeddingOptions.MaxRequestCharacters"/> characters: a node answers 413 past its limit (the same setting).
    /// </summary>
    private List<IReadOnlyList<string>> Chunks(IReadOnlyList<string> texts) =>
        // The nodes' model reads no further, so nothing is lost, and one text so cut always fits a call (the limit is at least that).
        EmbedBatches.Split([.. texts.Select(t => t.Length <= MiniLmModel.MaxChars ? t : t[..MiniLmModel.MaxChars])], options.RemoteChunk, options.MaxRequestCharacters);

    /// <summary>Registered embedder nodes, live or not (an empty list means: embed in-process).</summary>
    private async Task<IReadOnlyList<NodeInfo>> EmbedderNodesAsync(CancellationToken ct)
    {
        if (_nodes is { } fresh && time.GetElapsedTime(Volatile.Read(ref _nodesAt)) < RefreshInterval)
        {
            return fresh;
        }

        await _refresh.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_nodes is { } again && time.GetElapsedTime(Volatile.Read(ref _nodesAt)) < RefreshInterval)
            {
                return again;
            }

            try
            {
                var all = await registry.ListNodesAsync(ct).ConfigureAwait(false);
                _nodes = all.Where(n => string.Equals(n.Role.ToString(), "embedder", StringComparison.OrdinalIgnoreCase)).ToList();
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                LogRegistryFailed(logger, ex.GetType().Name, ex.Message);
                _nodes ??= [];
            }

            Volatile.Write(ref _nodesAt, time.GetTimestamp());
            return _nodes;
        }
        finally
        {
            _refresh.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Embedder node {Node} failed ({Detail}); trying another")]
    private static partial void LogNodeFailed(ILogger logger, string node, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read embedder nodes from the store ({Error}: {Detail}); using the last known list")]
    private static partial void LogRegistryFailed(ILogger logger, string error, string detail);

    /// <summary>One embedder node as this process sees it: its client, calls in flight, and when it last failed.</summary>
    private sealed class Endpoint(IEmbedder client)
    {
        private int _inFlight;

        public int InFlight => Volatile.Read(ref _inFlight);

        public IEmbedder Client { get; } = client;

        /// <summary>Timestamp (of the pool's TimeProvider) until which the node is passed over while others are left.</summary>
        public long FailedUntil { get; set; }

        public bool CoolingDown(long now) => now < FailedUntil;

        public void Begin() => Interlocked.Increment(ref _inFlight);

        public void End() => Interlocked.Decrement(ref _inFlight);
    }
}
