using Mosaic.Core.Search;

namespace Mosaic.Core.Seams;

/// <summary>A connection to one shard replica, in-process or remote; the coordinator never asks which.</summary>
public interface IShardClient
{
    /// <summary>Where the replica lives (for routing reports and failures).</summary>
    string Node { get; }

    /// <summary>Answers the shard query; throws <see cref="TimeoutException"/> or <see cref="OperationCanceledException"/> past the deadline.</summary>
    Task<ShardSearchResult> SearchAsync(ShardSearchRequest request, CancellationToken ct);

    Task<ShardStats> GetStatsAsync(long collectionId, int shard, CancellationToken ct);

    /// <summary>This replica's part of the collection-wide keyword statistics of <see cref="ShardSearchRequest.Query"/>
    /// (live documents, their tokens, and per analyzed term the documents holding it), once the request's
    /// <see cref="ShardSearchRequest.AfterSeqs"/> are applied.</summary>
    Task<KeywordStats> GetKeywordStatsAsync(ShardSearchRequest request, CancellationToken ct);

    /// <summary>The payloads of <see cref="ShardFetchRequest.Ids"/> in one call; ids the replica no longer holds are left out.</summary>
    Task<IReadOnlyList<DocPayload>> FetchAsync(ShardFetchRequest request, CancellationToken ct);
}

/// <summary>Where the replicas of a collection's shards are; a routing snapshot for the coordinator.</summary>
public interface IShardRouter
{
    /// <summary>Replicas of every shard of the collection, indexed by shard number (empty list: none known); a replica that cannot answer yet throws <see cref="Errors.ShardUnavailableException"/>.</summary>
    ValueTask<IReadOnlyList<IReadOnlyList<IShardClient>>> RouteAsync(Collections.CollectionInfo collection, CancellationToken ct);
}
