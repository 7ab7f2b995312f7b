using Mosaic.Core.Placement;

namespace Mosaic.Core.Seams;

/// <summary>Node leases in the store: a node is live while it keeps renewing.</summary>
public interface INodeRegistry
{
    /// <summary>Registers or renews the node; its lease then ends <paramref name="lease"/> from now by the store's clock.</summary>
    /// <param name="serves">Which requests a coordinator answers; the gateway routes by it.</param>
    /// <param name="shardAddress">Where its replicas answer gRPC, when that is not <paramref name="address"/>.</param>
    /// <param name="disk">Its data disk now (shard-holding nodes); null when it has none or could not read it.</param>
    Task RenewAsync(string nodeId, NodeRole role, string address, TimeSpan lease, CancellationToken ct, Serves serves = Serves.Both, string? shardAddress = null, NodeDisk? disk = null);

    /// <summary>Marks a node drained (placement moves its replicas off and gives it none) or undrained; false for an unknown node.</summary>
    Task<bool> SetDrainedAsync(string nodeId, bool drained, CancellationToken ct);

    /// <summary>Every registered node, live or expired.</summary>
    Task<IReadOnlyList<NodeInfo>> ListNodesAsync(CancellationToken ct);

    /// <summary>Removes a node at once (clean shutdown), without waiting for its lease to run out.</summary>
    Task LeaveAsync(string nodeId, CancellationToken ct);

    /// <summary>
    /// Takes or keeps a named lease (e.g. "placement") for <paramref name="holder"/>; true while the holder has it.
    /// At most one holder at a time; a lease not renewed within <paramref name="lease"/> passes to the next caller.
    /// </summary>
    Task<bool> TryHoldLeaseAsync(string name, string holder, TimeSpan lease, CancellationToken ct);
}
