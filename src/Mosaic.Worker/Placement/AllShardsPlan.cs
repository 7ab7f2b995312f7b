using Mosaic.Core.Collections;
using Mosaic.Core.Placement;

namespace Mosaic.Worker.Placement;

/// <summary>The embedded plan: this process holds every shard of every collection; nothing to report to.</summary>
public sealed class AllShardsPlan : IReplicaPlan
{
    public string NodeId => "local";

    public Task<IReadOnlyList<(CollectionInfo Collection, int Shard)>> WantedAsync(IReadOnlyList<CollectionInfo> collections, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<(CollectionInfo, int)>>(collections.SelectMany(c => Enumerable.Range(0, c.ShardMap.ShardCount).Select(s => (c, s))).ToList());

    public Task ReportAsync(CollectionInfo collection, int shard, ReplicaState state, long lag, CancellationToken ct) => Task.CompletedTask;
}
