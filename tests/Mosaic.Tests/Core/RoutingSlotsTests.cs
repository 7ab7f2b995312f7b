using Mosaic.Core.Collections;
using Mosaic.Core.Errors;
using Mosaic.Core.Slots;
using Xunit;

namespace Mosaic.Tests.Core;

public sealed class RoutingSlotsTests
{
    [Theory]
    [InlineData("shoes", "d1", "boots", 8, 884, 888)]
    [InlineData("shoes", "d2", "boots", 8, 884, 891)]
    [InlineData("products", "sku-1", "hats", 3, 49, 50)]
    [InlineData("products", "sku-2", "日本", 1000, 415, 44)] // wraps past slot 1023
    [InlineData("a", "b", "c", 1024, 108, 301)]
    public void Routed_slot_is_pinned(string collection, string id, string value, int slots, int first, int slot)
    {
        // Computed outside .NET with the system libxxhash (XXH64, seed 0): first = XXH64(collection "\0\x01" value) mod
        // 1024, slot = (first + XXH64(collection "\0" id) mod slots) mod 1024. If these change, every routed document
        // already stored would be searched for in the wrong shards.
        Assert.Equal(first, RoutingSlots.FirstSlot(collection, value));
        Assert.Equal(slot, RoutingSlots.SlotOf(collection, id, value, slots));
    }

    [Fact]
    public void Without_a_value_the_slot_is_the_id_hash()
    {
        Assert.Equal(596, RoutingSlots.SlotOf("shoes", "d1", null, 8));
        var spec = Spec(new RoutingSettings("category"));
        Assert.Equal(SlotHasher.SlotOf("c", "x"), RoutingSlots.SlotOf(spec, "x", null));
        Assert.Equal(SlotHasher.SlotOf("c", "x"), RoutingSlots.SlotOf(spec, "x", """{"price": 3}"""));
        Assert.Equal(SlotHasher.SlotOf("c", "x"), RoutingSlots.SlotOf(spec, "x", """{"category": null}"""));
        Assert.Equal(SlotHasher.SlotOf("c", "x"), RoutingSlots.SlotOf(Spec(null), "x", """{"category": "red"}"""));
    }

    [Fact]
    public void Documents_of_one_value_fill_its_slots_and_no_others()
    {
        var spec = Spec(new RoutingSettings("category", 8));
        var window = RoutingSlots.SlotsOf("c", "red", 8).ToArray();
        Assert.Equal(8, window.Distinct().Count());
        Assert.Equal(Enumerable.Range(0, 8).Select(i => (RoutingSlots.FirstSlot("c", "red") + i) % SlotHasher.SlotCount), window);

        var used = Enumerable.Range(0, 400).Select(i => RoutingSlots.SlotOf(spec, $"doc-{i}", """{"category": "red", "price": 1}""")).ToHashSet();
        Assert.Equal(window.Order(), used.Order());
    }

    [Fact]
    public void Changing_value_is_a_conflict_naming_the_field()
    {
        var error = RoutingSlots.ValueChanged(Spec(new RoutingSettings("category")), "doc-1");
        Assert.Equal(ErrorKind.Conflict, error.Kind);
        Assert.Contains("fields.category", error.Detail, StringComparison.Ordinal);
        Assert.Contains("doc-1", error.Detail, StringComparison.Ordinal);
    }

    private static CollectionSpec Spec(RoutingSettings? routing) => new(
        "c", 0, VectorMetric.Cosine, 8, 1, new Dictionary<string, FieldType> { ["category"] = FieldType.Keyword }, HnswSettings.Default, Routing: routing);
}
