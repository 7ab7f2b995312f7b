using Mosaic.Core.Search;
using Mosaic.Core.Seams;
using Mosaic.Worker.Shards;

namespace Mosaic.Worker.Node;

/// <summary>The in-process <see cref="IShardClient"/>: calls a replica of this process directly or on the thread pool.</summary>
/// <remarks>
/// A keyword or hybrid query runs on the pool, so that a scatter over many shards starts every shard before awaiting any.
/// A vector query (filtered or not) runs on the caller's thread: its work is bounded (a graph walk of ~30 µs, or an exact
/// scan of at most ExactScanFloats), and the two hand-offs to and from the pool per shard cost more CPU than the walk
/// (bench/README.md, "Embedded pipeline"). It still awaits inline where it must wait (a replica opening, read-your-writes).
/// </remarks>
public sealed class LocalShardClient(ShardReplica replica, string node) : IShardClient
{
    public string Node { get; } = node;

    public Task<ShardSearchResult> SearchAsync(ShardSearchRequest request, CancellationToken ct) =>
        request.Mode == SearchMode.Vector ? replica.SearchAsync(request, ct) : Task.Run(() => replica.SearchAsync(request, ct), ct);

    public Task<KeywordStats> GetKeywordStatsAsync(ShardSearchRequest request, CancellationToken ct) =>
        replica.KeywordStatsAsync(request, ct);

    public Task<ShardStats> GetStatsAsync(long collectionId, int shard, DateTime deadline, CancellationToken ct) => Task.FromResult(replica.Stats());

    /// <summary>Runs inline: a fetch is a few indexed row reads, cheaper than a hop to the pool.</summary>
    public Task<IReadOnlyList<DocPayload>> FetchAsync(ShardFetchRequest request, CancellationToken ct)
    {
        try
        {
            ct.ThrowIfCancellationRequested();
            return Task.FromResult(replica.Fetch(request));
        }
        catch (Exception ex)
        {
            return Task.FromException<IReadOnlyList<DocPayload>>(ex);
        }
    }
}
