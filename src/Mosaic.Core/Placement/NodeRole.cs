namespace Mosaic.Core.Placement;

/// <summary>The parts a Mosaic process runs; stored with its node lease so others know what it offers.</summary>
public enum NodeRole
{
    /// <summary>Every part in one process: coordinator (HTTP API) plus worker (shard replicas).</summary>
    Serve,

    /// <summary>Stateless HTTP API: writes to the store, scatters reads to workers.</summary>
    Coordinator,

    /// <summary>Holds shard replicas and answers shard queries over gRPC.</summary>
    Worker,

    /// <summary>Turns text into vectors for coordinators.</summary>
    Embedder,

    /// <summary>Load balancer in front of coordinators.</summary>
    Gateway,
}

/// <summary>What each role offers.</summary>
public static class NodeRoles
{
    /// <summary>True for roles that hold shard replicas (placement may give them work).</summary>
    public static bool HoldsShards(this NodeRole role) => role is NodeRole.Serve or NodeRole.Worker;

    /// <summary>True for roles that answer the public HTTP API.</summary>
    public static bool ServesApi(this NodeRole role) => role is NodeRole.Serve or NodeRole.Coordinator;

    /// <summary>The lower-case name used in the store, /cluster and logs.</summary>
    public static string Name(this NodeRole role) => role.ToString().ToLowerInvariant();

    /// <summary>Parses a stored role name; unknown names (a newer version's role) come back as null.</summary>
    public static NodeRole? Parse(string name) => Enum.TryParse<NodeRole>(name, ignoreCase: true, out var role) ? role : null;
}
