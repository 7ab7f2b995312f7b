namespace Mosaic.Worker.Shards;

/// <summary>Lifecycle of a shard replica: it answers queries only once serving.</summary>
public enum ReplicaState
{
    Building,
    Serving,
    Failed,
}
