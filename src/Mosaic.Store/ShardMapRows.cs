using System.Data.Common;
using Mosaic.Core.Collections;
using Mosaic.Core.Sharding;
using Mosaic.Core.Slots;

namespace Mosaic.Store;

/// <summary>Reads and names stored shard-map rows the same way in both stores.</summary>
/// <remarks>A collection without stored rows (made before shard maps were stored) has the even map of its shard
/// count at version 1; its first change stores it.</remarks>
internal static class ShardMapRows
{
    /// <summary>Columns: collection_id, version, shard_id, lo, hi, state, parent (shard columns null for a map row alone).</summary>
    public static Dictionary<long, ShardMap> Read(DbDataReader reader)
    {
        var versions = new Dictionary<long, long>();
        var shards = new Dictionary<long, List<ShardInfo>>();
        while (reader.Read())
        {
            long collection = reader.GetInt64(0);
            versions[collection] = reader.GetInt64(1);
            if (!reader.IsDBNull(2))
            {
                if (!shards.TryGetValue(collection, out var list))
                {
                    shards[collection] = list = [];
                }

                list.Add(new ShardInfo(
                    Convert.ToInt32(reader.GetValue(2)),
                    new SlotRange(Convert.ToInt32(reader.GetValue(3)), Convert.ToInt32(reader.GetValue(4))),
                    ParseState(reader.GetString(5)),
                    reader.IsDBNull(6) ? null : Convert.ToInt32(reader.GetValue(6))));
            }
        }

        return versions.ToDictionary(v => v.Key, v => new ShardMap(v.Value, shards.GetValueOrDefault(v.Key) ?? []));
    }

    public static ShardMap MapOf(Dictionary<long, ShardMap> maps, long collectionId, CollectionSpec spec) =>
        maps.TryGetValue(collectionId, out var map) ? map : ShardMap.Even(spec.Shards);

    public static string StateName(ShardState state) => state.ToString().ToLowerInvariant();

    public static ShardState ParseState(string name) => Enum.Parse<ShardState>(name, ignoreCase: true);
}
