using System.ComponentModel;
using Mosaic.Coordinator.Reads;

namespace Mosaic.Coordinator.Caching;

/// <summary>A complete (never partial) search answer as the result cache holds it.</summary>
/// <remarks>Immutable, so the in-process tier hands out the same instance instead of deserializing it per hit.</remarks>
[ImmutableObject(true)]
public sealed class CachedAnswer(SearchAnswer answer)
{
    public SearchAnswer Answer { get; } = answer;
}
