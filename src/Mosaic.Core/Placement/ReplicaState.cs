namespace Mosaic.Core.Placement;

/// <summary>Lifecycle of a shard replica: it is routed to only once serving.</summary>
public enum ReplicaState
{
    /// <summary>Assigned and catching up from the store's log; not routed to.</summary>
    Building,

    /// <summary>Caught up; answers queries.</summary>
    Serving,

    /// <summary>Being removed (moved away, or its node left); still answers until dropped.</summary>
    Draining,

    /// <summary>Could not open its files; a worker reports it so placement can put the replica elsewhere.</summary>
    Failed,
}
