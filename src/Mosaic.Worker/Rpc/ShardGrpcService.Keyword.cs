using Grpc.Core;
using Mosaic.Contracts.Rpc;
using Mosaic.Core.Errors;
using Mosaic.Core.Search;

namespace Mosaic.Worker.Rpc;

public sealed partial class ShardGrpcService
{
    /// <summary>The dfs phase of a keyword search: this shard's part of the collection-wide BM25 statistics.</summary>
    public override async Task<KeywordStatsMessage> KeywordStats(KeywordStatsQuery request, ServerCallContext context)
    {
        var replica = Held(request.CollectionId, request.Shard, context);
        var query = new ShardSearchRequest(
            request.CollectionId, request.Shard, SearchMode.Keyword, null, request.Query, null, 1, null, false, false, false,
            request.After.Count > 0 ? request.After.ToDictionary(p => p.Key, p => p.Value) : null)
        {
            AfterWait = request.HasAfterWaitMs ? TimeSpan.FromMilliseconds(request.AfterWaitMs) : null,
        };
        try
        {
            var stats = await replica.KeywordStatsAsync(query, context.CancellationToken).ConfigureAwait(false);
            return new KeywordStatsMessage { DocCount = stats.DocCount, TotalLength = stats.TotalLength, DocFreqs = { stats.DocFrequencies.ToDictionary() }, Behind = stats.Behind };
        }
        catch (ShardUnavailableException ex)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, ex.Message));
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, "keyword statistics passed their deadline"));
        }
    }
}
