namespace Mosaic.Coordinator.Reads;

/// <summary>What <see cref="KnownSlotHeads.CheckAsync"/> found out about a token.</summary>
public enum TokenCheck
{
    /// <summary>The store has reached every seq of the token.</summary>
    Known,

    /// <summary>The store has not reached it even on a read started after the search arrived: not this store's token.</summary>
    Ahead,

    /// <summary>The store could not be read; the shards' bounded wait decides.</summary>
    Unchecked,
}
