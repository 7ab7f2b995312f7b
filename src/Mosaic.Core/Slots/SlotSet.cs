namespace Mosaic.Core.Slots;

/// <summary>An immutable set of slots, kept sorted so counting those inside a range is two binary searches.</summary>
public sealed class SlotSet
{
    private readonly int[] _slots;

    public SlotSet(IEnumerable<int> slots)
    {
        _slots = slots.Distinct().Order().ToArray();
        if (_slots.Length > 0 && (_slots[0] < 0 || _slots[^1] >= SlotHasher.SlotCount))
        {
            throw new ArgumentOutOfRangeException(nameof(slots), $"slots must be within 0..{SlotHasher.SlotCount - 1}");
        }
    }

    public int Count => _slots.Length;

    public IReadOnlyList<int> Slots => _slots;

    public bool Contains(int slot) => Array.BinarySearch(_slots, slot) >= 0;

    /// <summary>How many of the set's slots lie in <paramref name="range"/>.</summary>
    public int CountIn(SlotRange range) => LowerBound(range.End) - LowerBound(range.Start);

    public SlotSet Intersect(SlotSet other) => new(_slots.Where(other.Contains));

    public SlotSet Union(SlotSet other) => new(_slots.Concat(other._slots));

    private int LowerBound(int slot)
    {
        int at = Array.BinarySearch(_slots, slot);
        return at >= 0 ? at : ~at;
    }
}
