using Google.Protobuf.Collections;
using Grpc.Core;
using Grpc.Net.Client;
using Mosaic.Contracts.Rpc;
using Mosaic.Core.Errors;
using Mosaic.Core.Search;
using Mosaic.Core.Seams;

namespace Mosaic.Coordinator.Remote;

/// <summary>The remote <see cref="IShardClient"/>: one shard replica on a worker, over gRPC.</summary>
/// <remarks>
/// Every call carries the request's deadline (grpc-timeout), which the worker requires, and cancelling the token cancels
/// the call on the worker too.
/// </remarks>
public sealed class GrpcShardClient(GrpcChannel channel, string node) : IShardClient
{
    private readonly ShardService.ShardServiceClient _client = new(channel);

    public string Node { get; } = node;

    public async Task<ShardSearchResult> SearchAsync(ShardSearchRequest request, CancellationToken ct)
    {
        var message = ToMessage(request);
        ShardResultMessage answer;
        // Awaited here, not through CallAsync: a search is the one call per shard on every query, and the wrapper's
        // closure, delegate and second state machine were paid on each.
        try
        {
            answer = await _client.SearchAsync(message, deadline: request.Deadline, cancellationToken: ct).ResponseAsync.ConfigureAwait(false);
        }
        catch (RpcException ex) when (Translated(ex, ct) is { } translated)
        {
            throw translated;
        }

        return new ShardSearchResult(ToDocs(answer.VectorHits), ToDocs(answer.KeywordHits)) { Behind = answer.Behind };
    }

    private static ShardSearchMessage ToMessage(ShardSearchRequest request)
    {
        var message = new ShardSearchMessage
        {
            CollectionId = request.CollectionId,
            Shard = request.Shard,
            Mode = (int)request.Mode,
            TopK = request.TopK,
            EfSearch = request.EfSearch ?? 0,
            IncludeText = request.IncludeText,
            IncludeFields = request.IncludeFields,
            IncludeVector = request.IncludeVector,
        };
        if (request.Vector is not null)
        {
            message.Vector.AddRange(request.Vector);
        }

        if (request.Query is not null)
        {
            message.Query = request.Query;
        }

        if (request.Filter is not null)
        {
            message.Filter = FilterEncoder.ToMessage(request.Filter);
        }

        if (request.AfterSeqs is not null)
        {
            message.After.Add(request.AfterSeqs.ToDictionary(p => p.Key, p => p.Value));
        }

        if (AfterWaitMs(request) is int waitMs)
        {
            message.AfterWaitMs = waitMs;
        }

        if (request.KeywordStats is { } stats)
        {
            message.KeywordStats = new KeywordStatsMessage { DocCount = stats.DocCount, TotalLength = stats.TotalLength, DocFreqs = { stats.DocFrequencies.ToDictionary() } };
        }

        return message;
    }

    private static int? AfterWaitMs(ShardSearchRequest request) =>
        request.AfterWait is { } wait ? (int)Math.Clamp(Math.Ceiling(wait.TotalMilliseconds), 0, int.MaxValue) : null;

    public async Task<ShardStats> GetStatsAsync(long collectionId, int shard, DateTime deadline, CancellationToken ct)
    {
        var s = await CallAsync(() => _client.StatsAsync(new ShardStatsQuery { CollectionId = collectionId, Shard = shard }, deadline: deadline, cancellationToken: ct).ResponseAsync, ct).ConfigureAwait(false);
        return new ShardStats(s.Shard, s.Range, s.State, s.DocCount, s.VectorCount, s.Bytes, s.AppliedChanges, s.Lag);
    }

    public async Task<KeywordStats> GetKeywordStatsAsync(ShardSearchRequest request, CancellationToken ct)
    {
        var message = new KeywordStatsQuery { CollectionId = request.CollectionId, Shard = request.Shard, Query = request.Query ?? "" };
        if (request.AfterSeqs is not null)
        {
            message.After.Add(request.AfterSeqs.ToDictionary(p => p.Key, p => p.Value));
        }

        if (AfterWaitMs(request) is int waitMs)
        {
            message.AfterWaitMs = waitMs;
        }

        var s = await CallAsync(() => _client.KeywordStatsAsync(message, deadline: request.Deadline, cancellationToken: ct).ResponseAsync, ct).ConfigureAwait(false);
        return new KeywordStats(s.DocCount, s.TotalLength, s.DocFreqs.ToDictionary(StringComparer.Ordinal)) { Behind = s.Behind };
    }

    public async Task<IReadOnlyList<DocPayload>> FetchAsync(ShardFetchRequest request, CancellationToken ct)
    {
        var message = new ShardFetchMessage
        {
            CollectionId = request.CollectionId,
            Shard = request.Shard,
            IncludeText = request.IncludeText,
            IncludeFields = request.IncludeFields,
            IncludeVector = request.IncludeVector,
            MaxBytes = request.MaxBytes ?? 0,
        };
        message.Ids.AddRange(request.Ids);
        ShardFetchResultMessage answer;
        try
        {
            answer = await CallAsync(() => _client.FetchAsync(message, deadline: request.Deadline, cancellationToken: ct).ResponseAsync, ct).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted && request.MaxBytes is { } limit)
        {
            // The worker stopped reading past the limit; its detail is the bytes it had read.
            throw new PayloadBudgetExceededException(long.TryParse(ex.Status.Detail, out long read) ? read : limit + 1, limit);
        }

        return answer.Docs.Select(m => new DocPayload(m.Id, m.HasText ? m.Text : null, m.HasFieldsJson ? m.FieldsJson : null, m.Vector.Count > 0 ? [.. m.Vector] : null)).ToList();
    }

    /// <summary>Maps gRPC failures onto the seam's: unreachable or not held → unavailable; deadline → cancelled.</summary>
    private async Task<T> CallAsync<T>(Func<Task<T>> call, CancellationToken ct)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RpcException ex) when (Translated(ex, ct) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>The seam's exception for a gRPC failure (null: none, let it through as it is).</summary>
    private Exception? Translated(RpcException ex, CancellationToken ct) => ex.StatusCode switch
    {
        StatusCode.Cancelled or StatusCode.DeadlineExceeded => new OperationCanceledException($"{Node}: {ex.Status.Detail}", ex, ct),
        StatusCode.Unavailable => new ShardUnavailableException($"{Node}: {ex.Status.Detail}"),
        _ => null,
    };

    /// <summary>A shard's list as the seam's hits: an array of its size (a vector search's keyword list is empty, and shared).</summary>
    private static ScoredDoc[] ToDocs(RepeatedField<ScoredDocMessage> hits)
    {
        if (hits.Count == 0)
        {
            return [];
        }

        var docs = new ScoredDoc[hits.Count];
        for (int i = 0; i < docs.Length; i++)
        {
            docs[i] = ToDoc(hits[i]);
        }

        return docs;
    }

    private static ScoredDoc ToDoc(ScoredDocMessage m) => new(
        m.Id, m.Score, m.HasText ? m.Text : null, m.HasFieldsJson ? m.FieldsJson : null, m.Vector.Count > 0 ? [.. m.Vector] : null);
}
