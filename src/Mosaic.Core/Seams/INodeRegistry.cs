using Mosaic.Core.Placement;

namespace Mosaic.Core.Seams;

/// <summary>Node leases in the store: a node is live while it keeps renewing.</summary>
public interface INodeRegistry
{
    /// <summary>Registers or renews the node; its lease then ends <paramref name="lease"/> from now by the store's clock.</summary>
    /// <param name="serves">Which requests a coordinator answers; the gateway routes by it.</param>
    Task RenewAsync(string nodeId, string role, string address, TimeSpan lease, CancellationToken ct, Serves serves = Serves.Both);

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
