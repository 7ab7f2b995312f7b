using System.Text.Json;
using Mosaic.Core.Collections;
using Mosaic.Core.Errors;

namespace Mosaic.Core.Slots;

/// <summary>Slots of documents in a collection with a routing key (<see cref="RoutingSettings"/>).</summary>
/// <remarks>
/// <para>
/// A routing value v owns the K = <see cref="RoutingSettings.Slots"/> consecutive slots (wrapping at
/// <see cref="SlotHasher.SlotCount"/>) starting at first(v) = xxHash64("collection\0\x01v") mod 1024. A document with
/// id i and value v lives in slot (first(v) + xxHash64("collection\0i") mod K) mod 1024, so one value's documents
/// spread over K slots by id. A document without the field (absent or null) keeps the plain id slot
/// (<see cref="SlotHasher.SlotOf"/>).
/// </para>
/// <para>
/// Like the id hash, this is part of the stored data's meaning: a change would misroute every routed document.
/// Tests pin values computed by an independent xxHash64.
/// </para>
/// </remarks>
public static class RoutingSlots
{
    /// <summary>The first of the slots that <paramref name="value"/> owns.</summary>
    public static int FirstSlot(string collection, string value) =>
        (int)(SlotHasher.Hash(collection, value, routingValue: true) % SlotHasher.SlotCount);

    /// <summary>The slot of a document with routing value <paramref name="value"/> (null: none) among <paramref name="slots"/> per value.</summary>
    public static int SlotOf(string collection, string id, string? value, int slots)
    {
        if (value is null)
        {
            return SlotHasher.SlotOf(collection, id);
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(slots, SlotHasher.SlotCount);
        int offset = (int)(SlotHasher.Hash(collection, id, routingValue: false) % (ulong)slots);
        return (FirstSlot(collection, value) + offset) % SlotHasher.SlotCount;
    }

    /// <summary>The slot of a document as written to <paramref name="spec"/>'s collection (fields already validated).</summary>
    public static int SlotOf(CollectionSpec spec, string id, string? fieldsJson) => spec.Routing is { } routing
        ? SlotOf(spec.Name, id, ValueOf(routing, fieldsJson), routing.Slots)
        : SlotHasher.SlotOf(spec.Name, id);

    /// <summary>Every slot a document with <paramref name="value"/> can live in.</summary>
    public static IEnumerable<int> SlotsOf(string collection, string value, int slots)
    {
        int first = FirstSlot(collection, value);
        for (int i = 0; i < slots; i++)
        {
            yield return (first + i) % SlotHasher.SlotCount;
        }
    }

    /// <summary>The answer to an update that would change a stored document's routing value (and so its slot).</summary>
    /// <remarks>A document's routing value is immutable while it exists: moving it would need its old slot's log to forget
    /// it and its new slot's to learn it, as a delete and a create do.</remarks>
    public static MosaicException ValueChanged(CollectionSpec spec, string id) => new(
        ErrorKind.Conflict,
        "conflict",
        $"fields.{spec.Routing?.Field}: document '{(id.Length <= 64 ? id : id[..64] + "…")}' exists with another routing value, and a document's routing value cannot change; delete it first, then write it again");

    /// <summary>The routing field's value in a document's fields JSON; null when absent or null.</summary>
    public static string? ValueOf(RoutingSettings routing, string? fieldsJson)
    {
        if (fieldsJson is null)
        {
            return null;
        }

        using var fields = JsonDocument.Parse(fieldsJson);
        return fields.RootElement.ValueKind == JsonValueKind.Object
            && fields.RootElement.TryGetProperty(routing.Field, out var value)
            && value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : null;
    }
}
