using Mosaic.Contracts;

namespace Mosaic.Hosting.Observability;

/// <summary>The cluster as one <see cref="ClusterSampler"/> pass saw it.</summary>
/// <param name="Api">The API-serving nodes' signals over the pass's window, merged: the cluster's searches.</param>
public sealed record ClusterSample(DateTimeOffset At, ClusterResponse Cluster, IReadOnlyList<NodeSample> Nodes, SignalWindow Api)
{
    /// <summary>Per collection, largest shard's documents over the mean shard's (largest serving replica per shard); 1 is even.</summary>
    public IEnumerable<KeyValuePair<string, double>> Imbalances() =>
        Cluster.Collections.Select(c => KeyValuePair.Create(c.Name, Imbalance(ShardDocuments(c))));

    /// <summary>Each shard's documents: the most any replica holds (a building replica holds fewer).</summary>
    public static List<long> ShardDocuments(ClusterCollectionResponse collection) =>
        [.. collection.Shards.Where(s => s.State == "serving").Select(s => s.Replicas.Max(r => r.DocCount) ?? 0)];

    /// <summary>Largest over mean; 1 when there is nothing to compare.</summary>
    public static double Imbalance(IReadOnlyCollection<long> shardDocs)
    {
        double mean = shardDocs.Count == 0 ? 0 : shardDocs.Average();
        return mean <= 0 ? 1 : Math.Round(shardDocs.Max() / mean, 3);
    }
}
