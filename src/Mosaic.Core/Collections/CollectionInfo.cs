using Mosaic.Core.Sharding;

namespace Mosaic.Core.Collections;

/// <summary>A collection as the store knows it.</summary>
/// <remarks>
/// <see cref="Id"/> is unique for the life of the store: dropping a collection and creating one with the same name
/// gives a new id, so consistency tokens and shard files of the old one can never be mistaken for the new one.
/// </remarks>
public sealed record CollectionInfo(long Id, CollectionSpec Spec, ShardMap ShardMap)
{
    public string Name => Spec.Name;
}
