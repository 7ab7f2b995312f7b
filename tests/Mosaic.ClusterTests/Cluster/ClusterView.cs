using System.Text.Json.Nodes;

namespace Mosaic.ClusterTests.Cluster;

/// <summary>A parsed GET /cluster answer: nodes, and per collection the shards with their replicas.</summary>
public sealed record ClusterView(IReadOnlyList<NodeView> Nodes, IReadOnlyList<CollectionView> Collections, string Raw, double ShardImbalance, string? RebalanceBlocked = null)
{
    public static ClusterView Parse(JsonObject json)
    {
        var nodes = (json["nodes"] as JsonArray ?? []).Select(n => new NodeView(
            n!["name"]!.GetValue<string>(),
            n["role"]!.GetValue<string>(),
            n["state"]!.GetValue<string>(),
            n["shards_held"]?.GetValue<int>() ?? 0,
            n["disk_free_bytes"]?.GetValue<long>(),
            n["disk_total_bytes"]?.GetValue<long>(),
            n["disk_floor_bytes"]?.GetValue<long>(),
            n["disk_low"]?.GetValue<bool>() ?? false,
            n["drain"] is JsonObject d ? new DrainView(d["state"]!.GetValue<string>(), d["replicas_left"]!.GetValue<int>(), d["reason"]?.GetValue<string>()) : null)).ToList();
        var collections = (json["collections"] as JsonArray ?? []).Select(c => new CollectionView(
            c!["name"]!.GetValue<string>(),
            (c["shards"] as JsonArray ?? []).Select(s => new ShardView(
                s!["shard"]!.GetValue<int>(),
                s["range"]?.GetValue<string>() ?? "",
                s["state"]!.GetValue<string>(),
                (s["replicas"] as JsonArray ?? []).Select(r => new ReplicaView(
                    r!["node"]!.GetValue<string>(),
                    r["state"]!.GetValue<string>(),
                    r["lag"]?.GetValue<long>() ?? 0,
                    r["bytes"]?.GetValue<long>() ?? 0)).ToList(),
                s["blocked"]?.GetValue<string>())).ToList())).ToList();
        return new ClusterView(nodes, collections, json.ToJsonString(), json["shard_imbalance"]!.GetValue<double>(), json["rebalance_blocked"]?.GetValue<string>());
    }

    public CollectionView Collection(string name) =>
        Collections.FirstOrDefault(c => c.Name == name) ?? throw new Xunit.Sdk.XunitException($"/cluster does not list collection '{name}': {Raw}");

    /// <summary>Names of the workers whose lease is alive.</summary>
    public IReadOnlySet<string> LiveWorkers => Nodes.Where(n => n.Role == "worker" && n.State == "alive").Select(n => n.Name).ToHashSet();

    /// <summary>
    /// True when every shard of <paramref name="collection"/> has exactly <paramref name="replicas"/> replicas, all
    /// serving (with lag 0 when <paramref name="lagZero"/>), on distinct live workers among <paramref name="allowedWorkers"/>
    /// (all live workers when null).
    /// </summary>
    public bool IsSettled(string collection, int replicas, IReadOnlySet<string>? allowedWorkers = null, bool lagZero = false)
    {
        var c = Collections.FirstOrDefault(x => x.Name == collection);
        if (c is null || c.Shards.Count == 0)
        {
            return false;
        }

        var live = LiveWorkers;
        return c.Shards.All(s =>
            s.State == "serving"
            && s.Replicas.Count == replicas
            && s.Replicas.Select(r => r.Node).Distinct().Count() == replicas
            && s.Replicas.All(r => r.State == "serving" && (!lagZero || r.Lag == 0) && live.Contains(r.Node) && (allowedWorkers is null || allowedWorkers.Contains(r.Node))));
    }

    /// <summary>Serving replicas each live worker holds, over every collection.</summary>
    public IReadOnlyDictionary<string, int> HeldByWorker(string collection) => LiveWorkers.ToDictionary(
        w => w, w => Collection(collection).Shards.Count(s => s.Replicas.Any(r => r.Node == w)));

    /// <summary>The shards of which <paramref name="node"/> holds a replica.</summary>
    public IReadOnlyList<int> ShardsOn(string collection, string node) =>
        Collection(collection).Shards.Where(s => s.Replicas.Any(r => r.Node == node)).Select(s => s.Shard).ToList();

    /// <summary>A short table for failure messages: one line per shard with its replicas.</summary>
    public string Describe(string collection)
    {
        var c = Collections.FirstOrDefault(x => x.Name == collection);
        var nodes = string.Join(", ", Nodes.Select(n => $"{n.Role} {n.Name} {n.State} ({n.ShardsHeld} held{(n.DiskLow ? ", disk low" : "")}{(n.Drain is { } d ? $", drain {d.State}" : "")})"));
        if (c is null)
        {
            return $"nodes: {nodes}; no collection '{collection}'";
        }

        return $"nodes: {nodes}\n" + string.Join('\n', c.Shards.Select(s =>
            $"  shard {s.Shard} {s.Range}: " + string.Join(", ", s.Replicas.Select(r => $"{r.Node} {r.State} lag {r.Lag}"))));
    }
}

public sealed record NodeView(string Name, string Role, string State, int ShardsHeld, long? DiskFreeBytes = null, long? DiskTotalBytes = null, long? DiskFloorBytes = null, bool DiskLow = false, DrainView? Drain = null);

/// <summary>A drained node's drain: moving | blocked | done.</summary>
public sealed record DrainView(string State, int ReplicasLeft, string? Reason);

public sealed record CollectionView(string Name, IReadOnlyList<ShardView> Shards);

public sealed record ShardView(int Shard, string Range, string State, IReadOnlyList<ReplicaView> Replicas, string? Blocked = null);

public sealed record ReplicaView(string Node, string State, long Lag, long Bytes = 0);
