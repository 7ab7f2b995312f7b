using Mosaic.Core.Collections;
using Mosaic.Core.Search;
using Mosaic.Core.Seams;
using Mosaic.Core.Sharding;
using Mosaic.Core.Slots;
using Xunit;

namespace Mosaic.Tests.Core;

public sealed class ShardSelectionTests
{
    private static readonly RoutingSettings Routing = new("category", 8);
    private static readonly CollectionSpec Routed = Spec(Routing);
    private static readonly IReadOnlyList<ShardRoute> Routes = ShardMap.Even(16).Serving.Select(s => new ShardRoute(s, [])).ToList();

    [Fact]
    public void Eq_on_the_routing_field_visits_the_shards_of_its_slots_only()
    {
        var selection = ShardSelection.For(Routed, In("category", "red"), Routes);

        var slots = RoutingSlots.SlotsOf("c", "red", 8).ToHashSet();
        var expected = Routes.Where(r => slots.Any(r.Shard.Range.Contains)).Select(r => r.Shard.Id).ToList();
        Assert.Equal(expected, selection.Routes.Select(r => r.Shard.Id));
        Assert.InRange(selection.Routes.Count, 1, 2); // 8 consecutive slots in shards of 64
        Assert.Equal(slots.Order(), selection.Slots!.Slots);
    }

    [Fact]
    public void In_and_top_level_and_narrow_or_needs_every_branch_narrowed()
    {
        var red = RoutingSlots.SlotsOf("c", "red", 8).ToHashSet();
        var blue = RoutingSlots.SlotsOf("c", "blue", 8).ToHashSet();
        var price = new Filter.NumberRange("price", 1, true, null, false);

        Assert.Equal(red.Union(blue).Order(), ShardSelection.For(Routed, In("category", "red", "blue"), Routes).Slots!.Slots);
        Assert.Equal(red.Order(), ShardSelection.For(Routed, new Filter.And([price, In("category", "red")]), Routes).Slots!.Slots);
        Assert.Equal(red.Intersect(blue).Order(), ShardSelection.For(Routed, new Filter.And([In("category", "red"), In("category", "blue")]), Routes).Slots!.Slots);
        Assert.Equal(red.Union(blue).Order(), ShardSelection.For(Routed, new Filter.Or([In("category", "red"), In("category", "blue")]), Routes).Slots!.Slots);

        // Anything that does not pin the routing field's value visits every shard.
        Assert.All(
            new Filter?[] { null, price, new Filter.Or([price, In("category", "red")]), new Filter.Not(In("category", "red")), In("other", "red") },
            f => Assert.Same(Routes, ShardSelection.For(Routed, f, Routes).Routes));
        Assert.Same(Routes, ShardSelection.For(Spec(null), In("category", "red"), Routes).Routes);
    }

    [Fact]
    public void Coverage_counts_only_the_slots_that_could_hold_matches()
    {
        // Two values: pick two whose slots lie in different shards, then let one of those shards fail.
        string other = Enumerable.Range(0, 100).Select(i => $"v{i}")
            .First(v => ShardSelection.For(Routed, In("category", "red", v), Routes).Routes.Count >= 2
                && ShardSelection.For(Routed, In("category", v), Routes).Routes.All(r => !ShardSelection.For(Routed, In("category", "red"), Routes).Routes.Contains(r)));
        var selection = ShardSelection.For(Routed, In("category", "red", other), Routes);
        var redShards = ShardSelection.For(Routed, In("category", "red"), Routes).Routes;

        Assert.Equal(1.0, selection.Coverage(selection.Routes.Select(r => r.Shard.Range)));
        Assert.Equal(0.5, selection.Coverage(redShards.Select(r => r.Shard.Range)));
        Assert.Equal(0.0, selection.Coverage([]));

        var all = ShardSelection.For(Routed, null, Routes);
        Assert.Equal(15.0 / 16, all.Coverage(Routes.Skip(1).Select(r => r.Shard.Range)));

        var none = ShardSelection.For(Routed, new Filter.KeywordIn("category", []), Routes);
        Assert.Empty(none.Routes);
        Assert.Equal(1.0, none.Coverage([]));
    }

    [Fact]
    public void Slot_set_counts_within_ranges()
    {
        var set = new SlotSet([1023, 5, 5, 0, 64]);
        Assert.Equal([0, 5, 64, 1023], set.Slots);
        Assert.Equal(2, set.CountIn(new SlotRange(0, 64)));
        Assert.Equal(1, set.CountIn(new SlotRange(64, 65)));
        Assert.Equal(0, set.CountIn(new SlotRange(65, 1023)));
        Assert.Equal(1, set.CountIn(new SlotRange(1000, 1024)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SlotSet([1024]));
    }

    private static Filter.KeywordIn In(string field, params string[] values) => new(field, values);

    private static CollectionSpec Spec(RoutingSettings? routing) => new(
        "c", 0, VectorMetric.Cosine, 16, 1, new Dictionary<string, FieldType> { ["category"] = FieldType.Keyword, ["other"] = FieldType.Keyword }, HnswSettings.Default, Routing: routing);
}
