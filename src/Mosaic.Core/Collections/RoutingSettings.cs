namespace Mosaic.Core.Collections;

/// <summary>A collection's routing key: documents with the same value of <see cref="Field"/> share <see cref="Slots"/> slots.</summary>
/// <remarks>
/// <see cref="Field"/> is a declared keyword field. A value owns <see cref="Slots"/> consecutive slots (see
/// <see cref="Slots.RoutingSlots"/>), so a hot value still spreads over that many slots, and over several shards once
/// its shard splits; a search filtered on the field visits only the shards holding those slots.
/// </remarks>
public sealed record RoutingSettings(string Field, int Slots = RoutingSettings.DefaultSlots)
{
    /// <summary>Slots per value unless the collection says otherwise: one even 8-shard map puts a value in 1-2 shards.</summary>
    public const int DefaultSlots = 8;
}
