using Mosaic.Core.Placement;

namespace Mosaic.Coordinator.Placement;

/// <summary>Replicas building on each node in one planning round, against <see cref="PlacementOptions.MaxBuildsPerNode"/>:
/// those the store shows building, plus those started earlier in the round.</summary>
/// <remarks>Unbounded on an embedded server: its one node holds every shard and builds them from a local file, so there is
/// no peer to spare, and a collection created there must serve within the first search's route wait.</remarks>
internal sealed class BuildSlots
{
    private readonly int _perNode;
    private readonly Dictionary<string, List<ReplicaAssignment>> _building;
    private readonly Dictionary<string, int> _started = new(StringComparer.Ordinal);

    public BuildSlots(int perNode, IEnumerable<ReplicaAssignment> assignments)
    {
        _perNode = perNode;
        _building = assignments.Where(a => a.State == ReplicaState.Building).GroupBy(a => a.NodeId)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
    }

    /// <summary>Replicas that had a place this round but wait for a slot on it.</summary>
    public int Waiting { get; private set; }

    public bool Free(string node) => Count(node) < _perNode;

    /// <summary>Counts a replica started on <paramref name="node"/> this round.</summary>
    public void Take(string node) => _started[node] = _started.GetValueOrDefault(node) + 1;

    public void Wait() => Waiting++;

    /// <summary>The replicas the store shows building on <paramref name="node"/>.</summary>
    public IReadOnlyList<ReplicaAssignment> BuildingOn(string node) => _building.GetValueOrDefault(node) ?? [];

    /// <summary>A building replica of <paramref name="node"/> is dropped this round: its slot is free again.</summary>
    public void Release(string node, ReplicaAssignment replica) => _building[node].Remove(replica);

    private int Count(string node) => BuildingOn(node).Count + _started.GetValueOrDefault(node);

    /// <summary>Slots that never run out (an embedded server).</summary>
    public static BuildSlots Unbounded(IEnumerable<ReplicaAssignment> assignments) => new(int.MaxValue, assignments);
}
