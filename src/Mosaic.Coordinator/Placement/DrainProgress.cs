using Mosaic.Core.Placement;

namespace Mosaic.Coordinator.Placement;

/// <summary>Where a drained node's drain stands: replicas still on it, and whether they wait for a place.</summary>
/// <param name="State">"moving" (replacements build elsewhere), "blocked" (some replica has nowhere to go; it keeps
/// serving, and the drain goes on by itself once a worker with room joins or one is undrained), or "done".</param>
/// <param name="Reason">For "blocked": why, shard by shard (the first few).</param>
public sealed record DrainProgress(string State, int ReplicasLeft, string? Reason)
{
    private const int ReasonsShown = 3;

    /// <summary>The drain of <paramref name="node"/> from its replicas and the shards placement could not place.</summary>
    public static DrainProgress Of(string node, IEnumerable<ReplicaAssignment> assignments, IReadOnlyList<PlacementBlock> blocked)
    {
        var held = assignments.Where(a => a.NodeId == node).ToList();
        var stuck = blocked.Where(b => held.Any(a => a.CollectionId == b.CollectionId && a.Shard == b.Shard)).ToList();
        if (held.Count == 0)
        {
            return new DrainProgress("done", 0, null);
        }

        if (stuck.Count == 0)
        {
            return new DrainProgress("moving", held.Count, null);
        }

        string more = stuck.Count > ReasonsShown ? $" (and {stuck.Count - ReasonsShown} more shard(s))" : "";
        return new DrainProgress("blocked", held.Count, string.Join(". ", stuck.Take(ReasonsShown).Select(b => b.Reason)) + more);
    }
}
