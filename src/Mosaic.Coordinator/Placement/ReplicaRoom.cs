using Mosaic.Core.Observability;

namespace Mosaic.Coordinator.Placement;

/// <summary>Which target may take a new replica of a given size in one planning round, and why none can.</summary>
/// <remarks>
/// A replica fits a node when the node's free space above its floor, less what replicas still building there (and those
/// sent there earlier in the round) are yet to write, holds the replica's size. The size is an estimate from what the
/// shard's other replicas report (a split child: its share of the parent), so a move never fills a disk that the disk-low
/// rule was meant to protect. Nodes that report no disk, or a floor of 0, always have room.
/// </remarks>
internal sealed class ReplicaRoom(PlacementTargets targets, Dictionary<string, long> pending)
{
    public bool Fits(string node, long bytes) =>
        !targets.Room.TryGetValue(node, out long room) || room - pending.GetValueOrDefault(node) >= bytes;

    /// <summary>Counts a replica sent to <paramref name="node"/> this round against its room.</summary>
    public void Take(string node, long bytes) => pending[node] = pending.GetValueOrDefault(node) + bytes;

    /// <summary>"w2 has 1.2 MiB free above its floor" (less what this round already sent there), or "w2 has room".</summary>
    public string Describe(string node) => targets.Room.TryGetValue(node, out long room)
        ? $"{node} has {ByteSize.Format(Math.Max(0, room - pending.GetValueOrDefault(node)))} free above its floor"
        : $"{node} has room";

    /// <summary>Why no node can take another replica of a shard: each live, undrained worker's reason, or that there is none.</summary>
    /// <param name="shard">The shard as people name it, e.g. "shoes/3".</param>
    /// <param name="needed">Replicas the shard needs on distinct live, undrained workers.</param>
    /// <param name="have">How many it has there now.</param>
    public string WhyNone(string shard, int needed, int have, IReadOnlySet<string> holders, long bytes)
    {
        string size = bytes > 0 ? $" (about {ByteSize.Format(bytes)})" : "";
        string wants = needed == 1 ? "needs a replica on a live, undrained worker" : $"needs {needed} replicas on distinct workers";
        var reasons = targets.Eligible.Order(StringComparer.Ordinal).Select(node =>
            holders.Contains(node) ? $"{node} holds one"
            : !targets.Targets.Contains(node) ? $"{node} has its data disk below its floor"
            : Describe(node)).ToList();
        if (targets.Eligible.All(holders.Contains))
        {
            reasons.Add("there is no other live, undrained worker: add a worker, undrain one, or lower the collection's replicas");
        }

        return $"shard {shard}{size} {wants} and has {have}: {string.Join("; ", reasons)}";
    }
}
