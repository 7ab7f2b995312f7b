using Mosaic.Contracts;
using Mosaic.Core.Seams;
using Mosaic.Worker.Node;

namespace Mosaic.Hosting.Cluster;

/// <summary>Embedded: one node holding every shard.</summary>
internal sealed class LocalClusterStatus(ICollectionCatalog catalog, WorkerNode worker) : IClusterStatus
{
    public async Task<(bool Ready, string Reason)> ReadyAsync(CancellationToken ct)
    {
        await catalog.ListAsync(ct).ConfigureAwait(false);
        bool ready = worker.IsReady(out string reason);
        return (ready, reason);
    }

    public async Task<ClusterResponse> DescribeAsync(string selfAddress, CancellationToken ct)
    {
        var collections = await catalog.ListAsync(ct).ConfigureAwait(false);
        var views = collections.Select(c => new ClusterCollectionResponse(
            c.Name,
            c.ShardMap.Version,
            worker.Replicas(c.Id).Select(r =>
            {
                var stats = r.Stats();
                return new ClusterShardResponse(r.Shard, r.Range.ToString(), [new ReplicaResponse(worker.NodeName, stats.State, stats.Lag, stats.DocCount)]);
            }).ToList())).ToList();
        var node = new NodeResponse(worker.NodeName, "serve", selfAddress, "alive", null, worker.AllReplicas().Count);
        return new ClusterResponse([node], views, null);
    }
}
