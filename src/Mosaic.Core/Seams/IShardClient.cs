using Mosaic.Core.Collections;
using Mosaic.Core.Search;
using Mosaic.Core.Sharding;

namespace Mosaic.Core.Seams;

/// <summary>A connection to one shard replica, in-process or remote; the coordinator never asks which.</summary>
public interface IShardClient
{
    /// <summary>Where the replica lives (for routing reports and failures).</summary>
    string Node { get; }

    /// <summary>Answers the shard query; throws <see cref="TimeoutException"/> or <see cref="OperationCanceledException"/> past the deadline.</summary>
    Task<ShardSearchResult> SearchAsync(ShardSearchRequest request, CancellationToken ct);

    /// <summary>The replica's statistics; a remote replica is told <paramref name="deadline"/> (UTC) and stops there.</summary>
    Task<ShardStats> GetStatsAsync(long collectionId, int shard, DateTime deadline, CancellationToken ct);

    /// <summary>This replica's part of the collection-wide keyword statistics of <see cref="ShardSearchRequest.Query"/>
    /// (live documents, their tokens, and per analyzed term the documents holding it), once the request's
    /// <see cref="ShardSearchRequest.AfterSeqs"/> are applied.</summary>
    Task<KeywordStats> GetKeywordStatsAsync(ShardSearchRequest request, CancellationToken ct);

    /// <summary>The payloads of <see cref="ShardFetchRequest.Ids"/> in one call; ids the replica no longer holds are left out.</summary>
    Task<IReadOnlyList<DocPayload>> FetchAsync(ShardFetchRequest request, CancellationToken ct);
}

/// <summary>One serving shard of a collection and the replicas that can answer for it now (empty: none).</summary>
public sealed record ShardRoute(ShardInfo Shard, IReadOnlyList<IShardClient> Replicas);

/// <summary>Where collections and the replicas of their shards are: the coordinator's routing snapshot.</summary>
/// <remarks>Answers from a cached, versioned snapshot of the store's catalog, shard maps and placement, so reads go on
/// while the store is down.</remarks>
public interface IShardRouter
{
    /// <summary>The collection as routing knows it (null: none of that name).</summary>
    ValueTask<CollectionInfo?> FindCollectionAsync(string name, CancellationToken ct);

    /// <summary>Every serving shard of the collection's map with its serving replicas, in slot order.</summary>
    /// <param name="wait">How long to wait, at most, for a shard with no serving replica to get one (a collection created
    /// a moment ago); a search passes a share of its deadline, so that the wait cannot outlive it.</param>
    ValueTask<IReadOnlyList<ShardRoute>> RouteAsync(CollectionInfo collection, TimeSpan wait, CancellationToken ct);

    /// <summary>Reloads the snapshot now: after this process changed the catalog or a shard map, its next request sees it.</summary>
    Task RefreshAsync(CancellationToken ct);

    /// <summary>Whether the store no longer holds <paramref name="collection"/> (dropped, or dropped and created again under
    /// a new id); throws when the store cannot say.</summary>
    /// <remarks>Asked only when shards did not answer: a snapshot that still lists a dropped collection (its drop not yet
    /// seen here) routes to shards that are closed, and the answer must be 404, not 503.</remarks>
    ValueTask<bool> IsDroppedAsync(CollectionInfo collection, CancellationToken ct);
}
