namespace Mosaic.Core.Slots;

/// <summary>A half-open range of slots [Start, End) that one shard owns.</summary>
public readonly record struct SlotRange(int Start, int End)
{
    public int Count => End - Start;

    public bool Contains(int slot) => slot >= Start && slot < End;

    public override string ToString() => $"[{Start},{End})";
}
