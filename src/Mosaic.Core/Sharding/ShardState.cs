namespace Mosaic.Core.Sharding;

/// <summary>Lifecycle of a shard in a collection's shard map.</summary>
public enum ShardState
{
    /// <summary>A split child: its replicas build from the store and catch up; not routed to yet.</summary>
    Building,

    /// <summary>Routed to: the serving shards cover every slot exactly once.</summary>
    Serving,

    /// <summary>Replaced by its split children; replicas stay a grace period so in-flight and stale-routed queries finish.</summary>
    Draining,

    /// <summary>Gone: no replicas. Its id is never reused.</summary>
    Retired,
}
