using Mosaic.Core.Errors;
using Mosaic.Core.Slots;

namespace Mosaic.Core.Sharding;

/// <summary>An immutable, versioned map of a collection's shards: stable ids, slot ranges and states.</summary>
/// <remarks>
/// <para>
/// Invariant: the <see cref="Serving"/> shards are sorted, contiguous and cover all <see cref="SlotHasher.SlotCount"/>
/// slots exactly once, so a search over them sees every document once. Building shards (split children) lie inside a
/// serving shard's range; draining and retired ones are what splits replaced.
/// </para>
/// <para>
/// The map is stored; every change makes a new map with the next version, written in one store transaction (so a
/// split's switch is atomic). Readers take the reference once and never see a half-updated map. Ids are never reused.
/// </para>
/// </remarks>
public sealed class ShardMap
{
    private readonly ShardInfo[] _all;
    private readonly ShardInfo[] _serving;

    public ShardMap(long version, IEnumerable<ShardInfo> shards)
    {
        Version = version;
        _all = shards.OrderBy(s => s.Id).ToArray();
        _serving = _all.Where(s => s.State == ShardState.Serving).OrderBy(s => s.Range.Start).ToArray();
        Validate();
    }

    public long Version { get; }

    /// <summary>Every shard ever in the map, by id (retired ones too, so ids are never reused).</summary>
    public IReadOnlyList<ShardInfo> All => _all;

    /// <summary>The shards searches go to, by range start.</summary>
    public IReadOnlyList<ShardInfo> Serving => _serving;

    /// <summary>Shards whose replicas workers hold: building, serving and draining.</summary>
    public IEnumerable<ShardInfo> Held => _all.Where(s => s.IsHeld);

    /// <summary>The id the next new shard gets.</summary>
    public int NextId => _all.Length == 0 ? 0 : _all[^1].Id + 1;

    /// <summary>Splits the slot space into <paramref name="shardCount"/> serving shards of near-equal size, ids 0..n-1.</summary>
    public static ShardMap Even(int shardCount, long version = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shardCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(shardCount, SlotHasher.SlotCount);
        return new ShardMap(version, Enumerable.Range(0, shardCount).Select(i => new ShardInfo(
            i, new SlotRange(i * SlotHasher.SlotCount / shardCount, (i + 1) * SlotHasher.SlotCount / shardCount), ShardState.Serving)));
    }

    public ShardInfo? Find(int id)
    {
        int at = Array.BinarySearch(_all, new ShardInfo(id, default, ShardState.Retired), IdOrder.Instance);
        return at >= 0 ? _all[at] : null;
    }

    /// <summary>The serving shard whose range holds <paramref name="slot"/> (binary search over range starts).</summary>
    public ShardInfo ShardOf(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, SlotHasher.SlotCount);
        int lo = 0, hi = _serving.Length - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) >> 1;
            if (_serving[mid].Range.Start <= slot)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return _serving[lo];
    }

    public IEnumerable<ShardInfo> ChildrenOf(int id) => _all.Where(s => s.Parent == id);

    /// <summary>Adds two building children for the halves of a serving shard's range; the parent keeps serving.</summary>
    /// <exception cref="MosaicException">NotFound for an unknown shard; Conflict when it is not serving, is already
    /// splitting, or owns a single slot.</exception>
    public ShardMap BeginSplit(int id)
    {
        var parent = Find(id) ?? throw MosaicException.NotFound($"shard {id} does not exist");
        if (parent.State != ShardState.Serving)
        {
            throw new MosaicException(ErrorKind.Conflict, "conflict", $"shard {id} is {parent.State.ToString().ToLowerInvariant()}; only a serving shard can split");
        }

        if (ChildrenOf(id).Any())
        {
            throw new MosaicException(ErrorKind.Conflict, "conflict", $"shard {id} is already splitting");
        }

        if (parent.Range.Count < 2)
        {
            throw new MosaicException(ErrorKind.Conflict, "conflict", $"shard {id} owns a single slot and cannot split");
        }

        int mid = parent.Range.Start + (parent.Range.Count / 2);
        int next = NextId;
        return new ShardMap(Version + 1, _all.Append(new ShardInfo(next, new SlotRange(parent.Range.Start, mid), ShardState.Building, id))
            .Append(new ShardInfo(next + 1, new SlotRange(mid, parent.Range.End), ShardState.Building, id)));
    }

    /// <summary>The switch of a split: the children serve and the parent drains, in one new version.</summary>
    public ShardMap CompleteSplit(int parentId) => With(s =>
        s.Id == parentId ? s with { State = ShardState.Draining }
        : s.Parent == parentId && s.State == ShardState.Building ? s with { State = ShardState.Serving }
        : s);

    /// <summary>A draining shard is retired: its replicas go.</summary>
    public ShardMap Retire(int id) => With(s => s.Id == id && s.State == ShardState.Draining ? s with { State = ShardState.Retired } : s);

    private ShardMap With(Func<ShardInfo, ShardInfo> change) => new(Version + 1, _all.Select(change));

    private void Validate()
    {
        int expected = 0;
        foreach (var shard in _serving)
        {
            if (shard.Range.Start != expected || shard.Range.Count < 1)
            {
                throw new InvalidDataException($"shard map v{Version}: serving shards do not tile the slots at {expected} (shard {shard.Id} {shard.Range})");
            }

            expected = shard.Range.End;
        }

        if (expected != SlotHasher.SlotCount)
        {
            throw new InvalidDataException($"shard map v{Version}: serving shards end at slot {expected}, not {SlotHasher.SlotCount}");
        }

        for (int i = 1; i < _all.Length; i++)
        {
            if (_all[i].Id == _all[i - 1].Id)
            {
                throw new InvalidDataException($"shard map v{Version}: shard id {_all[i].Id} appears twice");
            }
        }
    }

    private sealed class IdOrder : IComparer<ShardInfo>
    {
        public static readonly IdOrder Instance = new();

        public int Compare(ShardInfo? x, ShardInfo? y) => x!.Id.CompareTo(y!.Id);
    }
}
