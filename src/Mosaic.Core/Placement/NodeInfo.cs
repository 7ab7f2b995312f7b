namespace Mosaic.Core.Placement;

/// <summary>A registered process: its id, role, where it is reached, and when its lease runs out (store clock).</summary>
/// <remarks>
/// <see cref="Live"/> is computed by the store against its own clock, so nodes with skewed clocks agree.
/// A <see cref="Drained"/> node keeps its lease but placement moves every replica off it and gives it none until undrained.
/// <see cref="Serves"/> says which requests a coordinator answers (workers register <see cref="Serves.Both"/>).
/// <see cref="Disk"/> is null for nodes that hold no shards and for those that never reported one (an older version).
/// </remarks>
/// <param name="ShardAddress">Where its shard replicas answer gRPC when not at <see cref="Address"/> (a serve node's second port).</param>
public sealed record NodeInfo(string NodeId, NodeRole Role, string Address, DateTimeOffset LeaseExpiresAt, bool Live, bool Drained = false, string? ShardAddress = null, Serves Serves = Serves.Both, NodeDisk? Disk = null)
{
    /// <summary>The node id of an embedded server (`mosaic serve` over SQLite), the only node of its cluster; a cluster
    /// node's id is its advertised host:port, so the two never meet.</summary>
    public const string EmbeddedId = "local";

    /// <summary>The address shard queries go to.</summary>
    public string ShardEndpoint => ShardAddress ?? Address;

    /// <summary>True when the node reported its data disk below its floor.</summary>
    public bool DiskLow => Disk?.Low == true;
}
