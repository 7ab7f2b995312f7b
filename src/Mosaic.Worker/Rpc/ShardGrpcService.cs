using Google.Protobuf.Collections;
using Grpc.Core;
using Mosaic.Contracts.Rpc;
using Mosaic.Core.Errors;
using Mosaic.Core.Search;
using Mosaic.Worker.Node;
using Mosaic.Worker.Shards;

namespace Mosaic.Worker.Rpc;

/// <summary>The worker's gRPC face: shard queries and statistics for remote coordinators.</summary>
/// <remarks>
/// A shard this node does not hold (moved, or not yet placed) answers Unavailable, so the coordinator tries another replica.
/// Every call must carry a deadline (grpc-timeout): the worker stops work the caller no longer waits for at that time
/// even when the caller's cancellation never arrives (a partitioned or killed coordinator), and a bounded wait for
/// read-your-writes seqs ends with it.
/// </remarks>
public sealed partial class ShardGrpcService(WorkerNode node) : ShardService.ShardServiceBase
{
    public override async Task<ShardResultMessage> Search(ShardSearchMessage request, ServerCallContext context)
    {
        var replica = Held(request.CollectionId, request.Shard, context);
        Filter? filter;
        try
        {
            filter = request.Filter is { } message ? FilterDecoder.FromMessage(message, replica.Collection.Spec) : null;
        }
        catch (MosaicException ex)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, ex.Detail));
        }

        var query = new ShardSearchRequest(
            request.CollectionId,
            request.Shard,
            (SearchMode)request.Mode,
            request.Vector.Count > 0 ? [.. request.Vector] : null,
            request.HasQuery ? request.Query : null,
            filter,
            request.TopK,
            request.EfSearch > 0 ? request.EfSearch : null,
            request.IncludeText,
            request.IncludeFields,
            request.IncludeVector,
            request.After.Count > 0 ? request.After.ToDictionary(p => p.Key, p => p.Value) : null)
        {
            KeywordStats = request.KeywordStats is { } stats ? new KeywordStats(stats.DocCount, stats.TotalLength, stats.DocFreqs.ToDictionary(StringComparer.Ordinal)) : null,
            AfterWait = request.HasAfterWaitMs ? TimeSpan.FromMilliseconds(request.AfterWaitMs) : null,
        };
        try
        {
            var result = await replica.SearchAsync(query, context.CancellationToken).ConfigureAwait(false);
            var answer = new ShardResultMessage { Behind = result.Behind };
            AddMessages(answer.VectorHits, result.VectorHits);
            AddMessages(answer.KeywordHits, result.KeywordHits);
            return answer;
        }
        catch (ShardUnavailableException ex)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, ex.Message));
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, "shard query passed its deadline"));
        }
    }

    public override Task<ShardStatsMessage> Stats(ShardStatsQuery request, ServerCallContext context)
    {
        var replica = Held(request.CollectionId, request.Shard, context);
        var s = replica.Stats();
        return Task.FromResult(new ShardStatsMessage
        {
            Shard = s.Shard, Range = s.Range, State = s.State, DocCount = s.DocCount, VectorCount = s.VectorCount,
            Bytes = s.Bytes, AppliedChanges = s.AppliedChanges, Lag = s.Lag,
        });
    }

    public override Task<ShardFetchResultMessage> Fetch(ShardFetchMessage request, ServerCallContext context)
    {
        var replica = Held(request.CollectionId, request.Shard, context);
        try
        {
            var docs = replica.Fetch(new ShardFetchRequest(request.CollectionId, request.Shard, request.Ids, request.IncludeText, request.IncludeFields, request.IncludeVector)
            {
                MaxBytes = request.MaxBytes > 0 ? request.MaxBytes : null,
            });
            var answer = new ShardFetchResultMessage();
            answer.Docs.AddRange(docs.Select(d => ToMessage(new ScoredDoc(d.Id, 0, d.Text, d.FieldsJson, d.Vector))));
            return Task.FromResult(answer);
        }
        catch (ShardUnavailableException ex)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, ex.Message));
        }
        catch (PayloadBudgetExceededException ex)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, ex.ReadBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
    }

    /// <summary>The replica a call addresses, once the call is known to carry a deadline.</summary>
    private ShardReplica Held(long collectionId, int shard, ServerCallContext context)
    {
        if (context.Deadline == DateTime.MaxValue)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "a shard call must carry a deadline (grpc-timeout)"));
        }

        return node.Find(collectionId, shard)
            ?? throw new RpcException(new Status(StatusCode.Unavailable, $"shard {shard} of collection {collectionId} is not held by {node.NodeName}"));
    }

    /// <summary>Appends <paramref name="docs"/> in one allocation of the field's storage (AddRange of a Select grew it by doubling).</summary>
    private static void AddMessages(RepeatedField<ScoredDocMessage> field, IReadOnlyList<ScoredDoc> docs)
    {
        if (docs.Count == 0)
        {
            return;
        }

        field.Capacity = docs.Count;
        for (int i = 0; i < docs.Count; i++)
        {
            field.Add(ToMessage(docs[i]));
        }
    }

    private static ScoredDocMessage ToMessage(ScoredDoc doc)
    {
        var message = new ScoredDocMessage { Id = doc.Id, Score = doc.Score };
        if (doc.Text is not null)
        {
            message.Text = doc.Text;
        }

        if (doc.FieldsJson is not null)
        {
            message.FieldsJson = doc.FieldsJson;
        }

        if (doc.Vector is not null)
        {
            message.Vector.AddRange(doc.Vector);
        }

        return message;
    }
}
