using Grpc.Core;
using Grpc.Net.Client;
using Mosaic.Contracts.Rpc;
using Mosaic.Core.Consistency;

namespace Mosaic.ClusterTests.Cluster;

/// <summary>Asks one worker about one of its shard replicas directly over its gRPC face, bypassing coordinators.</summary>
/// <remarks>
/// A coordinator answers from one replica per shard (whichever it picks), so "every replica has every change" can only be
/// seen replica by replica: this is the same call a coordinator makes, aimed at a chosen worker.
/// </remarks>
public sealed class ReplicaProbe : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly ShardService.ShardServiceClient _client;

    public ReplicaProbe(string workerUrl)
    {
        _channel = GrpcChannel.ForAddress(workerUrl);
        _client = new ShardService.ShardServiceClient(_channel);
    }

    /// <summary>The collection id a consistency token was issued for (the gRPC face addresses collections by id).</summary>
    public static long CollectionIdOf(string token) =>
        ConsistencyToken.TryParse(token, out var parsed) ? parsed!.CollectionId : throw new ArgumentException($"not a consistency token: {token}", nameof(token));

    public async Task<ShardStatsMessage> StatsAsync(long collectionId, int shard, TimeSpan timeout) =>
        await _client.StatsAsync(new ShardStatsQuery { CollectionId = collectionId, Shard = shard }, deadline: DateTime.UtcNow + timeout);

    /// <summary>The same Stats call with no deadline at all (no grpc-timeout), which a worker refuses.</summary>
    public async Task<ShardStatsMessage> StatsWithoutDeadlineAsync(long collectionId, int shard, CancellationToken ct) =>
        await _client.StatsAsync(new ShardStatsQuery { CollectionId = collectionId, Shard = shard }, cancellationToken: ct);

    /// <summary>A keyword search on this replica alone: (id, text) of up to <paramref name="topK"/> hits.</summary>
    public async Task<IReadOnlyList<(string Id, string? Text)>> KeywordAsync(long collectionId, int shard, string query, int topK, TimeSpan timeout)
    {
        var answer = await _client.SearchAsync(
            new ShardSearchMessage { CollectionId = collectionId, Shard = shard, Mode = 1, Query = query, TopK = topK, IncludeText = true },
            deadline: DateTime.UtcNow + timeout);
        return answer.KeywordHits.Select(h => (h.Id, h.HasText ? h.Text : null)).ToList();
    }

    /// <summary>Stats, or null when the replica does not answer (not held, not running, past the deadline).</summary>
    public async Task<ShardStatsMessage?> TryStatsAsync(long collectionId, int shard, TimeSpan timeout)
    {
        try
        {
            return await StatsAsync(collectionId, shard, timeout);
        }
        catch (RpcException)
        {
            return null;
        }
    }

    public void Dispose() => _channel.Dispose();
}
