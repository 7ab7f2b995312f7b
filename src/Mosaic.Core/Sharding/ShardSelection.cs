using Mosaic.Core.Collections;
using Mosaic.Core.Search;
using Mosaic.Core.Seams;
using Mosaic.Core.Slots;

namespace Mosaic.Core.Sharding;

/// <summary>The shards a search must visit, and the slots that could hold its matches.</summary>
/// <remarks>
/// With a routing key, a filter that requires the key's field to equal one of some values (<c>eq</c>/<c>in</c>, alone or
/// inside <c>and</c>/<c>or</c>) can only match documents in those values' slots (<see cref="RoutingSlots"/>): only the
/// shards whose ranges hold one of them are visited. Every other search visits every serving shard.
/// </remarks>
/// <param name="Routes">The shards to visit, in slot order.</param>
/// <param name="Slots">The slots that could hold matches; null: all of them.</param>
public sealed record ShardSelection(IReadOnlyList<ShardRoute> Routes, SlotSet? Slots)
{
    public static ShardSelection For(CollectionSpec spec, Filter? filter, IReadOnlyList<ShardRoute> routes)
    {
        var slots = spec.Routing is { } routing && filter is not null ? CandidateSlots(spec.Name, routing, filter) : null;
        return new ShardSelection(slots is null ? routes : routes.Where(r => slots.CountIn(r.Shard.Range) > 0).ToList(), slots);
    }

    /// <summary>Share of the slots that could hold matches whose shards answered (1 when there are none).</summary>
    public double Coverage(IEnumerable<SlotRange> answered)
    {
        int total = Slots?.Count ?? SlotHasher.SlotCount;
        int covered = 0;
        foreach (var range in answered)
        {
            covered += Slots?.CountIn(range) ?? range.Count;
        }

        return total == 0 ? 1.0 : (double)covered / total;
    }

    /// <summary>The slots a document matching <paramref name="filter"/> can be in; null when the filter does not narrow them.</summary>
    public static SlotSet? CandidateSlots(string collection, RoutingSettings routing, Filter filter) => filter switch
    {
        Filter.KeywordIn k when k.Field == routing.Field =>
            new SlotSet(k.Values.SelectMany(v => RoutingSlots.SlotsOf(collection, v, routing.Slots))),
        // A document must match every item: any narrowing item narrows the whole.
        Filter.And all => all.Items.Select(i => CandidateSlots(collection, routing, i))
            .Aggregate((SlotSet?)null, (acc, s) => s is null ? acc : acc is null ? s : acc.Intersect(s)),
        // A document may match any item: only when every item narrows does the union.
        Filter.Or any when any.Items.Count > 0 => any.Items.Select(i => CandidateSlots(collection, routing, i))
            .Aggregate((SlotSet?)new SlotSet([]), (acc, s) => acc is null || s is null ? null : acc.Union(s)),
        _ => null,
    };
}
