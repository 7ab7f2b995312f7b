using Mosaic.Core.Changes;
using Mosaic.Core.Collections;
using Mosaic.Core.Errors;
using Mosaic.Core.Seams;
using Mosaic.Core.Slots;
using Npgsql;
using Xunit;

namespace Mosaic.ClusterTests.Store;

/// <summary>The routing key in the PostgreSQL store: routed slots, deletes logged in the row's slot, immutable values, races.</summary>
[Collection(StoreCollection.Name)]
public sealed class RoutingTests(PostgresFixture postgres)
{
    private const int Slots = 4;
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Writes_log_in_the_routed_slot_and_a_value_cannot_change_in_place()
    {
        string cs = await postgres.NewDatabaseAsync();
        await using var store = Stores.Open(cs);
        var (collection, _) = await store.CreateAsync(Spec(), None);
        int red = RoutingSlots.SlotOf(collection.Name, "a", "red", Slots), blue = RoutingSlots.SlotOf(collection.Name, "a", "blue", Slots);
        Assert.NotEqual(red, blue);

        var (written, _) = await store.WriteAsync(collection, Tagged("a", "red", "one"), Stores.Upsert("plain", "no tag"));
        Assert.Equal(new[] { red, SlotHasher.SlotOf(collection.Name, "plain") }.Distinct().Order(), written!.Token.SlotSeqs.Keys.Order());

        var heads = await store.HeadsAsync(collection);
        var conflict = await Assert.ThrowsAsync<MosaicException>(() => store.WriteAsync(collection, Stores.Upsert("b", "new"), Tagged("a", "blue", "two")));
        Assert.Equal(ErrorKind.Conflict, conflict.Kind);
        Assert.Contains("fields.tag", conflict.Detail, StringComparison.Ordinal);
        Assert.Equal(heads, await store.HeadsAsync(collection));
        Assert.Null(await store.GetAsync(collection, "b", None));
        Assert.Equal("one", (await store.GetAsync(collection, "a", None))!.Text);

        // A delete logs in the row's slot; a delete and a create with another value in one batch log in both.
        var (moved, _) = await store.WriteAsync(collection, Stores.Delete("a"), Tagged("a", "blue", "three"));
        Assert.Equal(2, moved!.Token.SlotSeqs[red]);
        Assert.Equal(1, moved.Token.SlotSeqs[blue]);
        Assert.Equal(2, moved.Written);

        // Each slot's log shows the document as it is in that slot: gone from red, present in blue.
        Assert.Equal([ChangeKind.Delete, ChangeKind.Delete], (await store.ReadSlotAsync(collection, red)).Select(c => c.Kind));
        var inBlue = Assert.Single(await store.ReadSlotAsync(collection, blue));
        Assert.Equal((ChangeKind.Upsert, "three"), (inBlue.Kind, inBlue.Document!.Text));
    }

    [Fact]
    public async Task Racing_delete_and_recreate_with_other_values_keep_every_slots_log_true()
    {
        string cs = await postgres.NewDatabaseAsync();
        var stores = Enumerable.Range(0, 3).Select(_ => Stores.Open(cs)).ToArray();
        try
        {
            var (collection, _) = await stores[0].CreateAsync(Spec(), None);
            string[] values = ["red", "green", "blue"];
            await Task.WhenAll(stores.Select((store, w) => Task.Run(async () =>
            {
                for (int i = 0; i < 25; i++)
                {
                    try
                    {
                        var writes = (i % 3) switch
                        {
                            0 => new[] { Stores.Delete("x") },
                            1 => [Tagged("x", values[w], $"{w}-{i}")],
                            _ => [Stores.Delete("x"), Tagged("x", values[(w + 1) % 3], $"{w}-{i}")],
                        };
                        await store.WriteAsync(collection, writes);
                    }
                    catch (MosaicException ex) when (ex.Kind == ErrorKind.Conflict)
                    {
                        // Another writer's value is stored: this upsert may not move it, as it must not.
                    }
                }
            })));

            // Every change of the document logged in the slot it changed: in each slot, the last logged operation is an
            // upsert exactly when the document is stored there now.
            var stored = await stores[0].GetAsync(collection, "x", None);
            int? storedSlot = stored is null ? null : RoutingSlots.SlotOf(collection.Spec, "x", stored.FieldsJson);
            await using (var admin = NpgsqlDataSource.Create(cs))
            await using (var command = admin.CreateCommand("SELECT DISTINCT ON (slot) slot, op FROM changes WHERE doc_id = 'x' ORDER BY slot, seq DESC"))
            await using (var reader = await command.ExecuteReaderAsync())
            {
                var lastOps = new Dictionary<int, int>();
                while (await reader.ReadAsync())
                {
                    lastOps[reader.GetInt32(0)] = Convert.ToInt32(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture);
                }

                Assert.All(lastOps, p => Assert.Equal(p.Key == storedSlot ? 0 : 1, p.Value));
                Assert.True(storedSlot is null || lastOps.ContainsKey(storedSlot.Value), $"nothing logged in slot {storedSlot}");
                Assert.True(lastOps.Count >= 2, $"the race moved the document through {lastOps.Count} slot(s) only");
            }

            // Replaying every slot's log as a replica holding all slots does (slot by slot, a delete removing only the
            // copy from its own slot) ends exactly at the stored document.
            (int Slot, string Text)? copy = null;
            foreach (var slot in (await stores[0].HeadsAsync(collection)).Keys.Order())
            {
                foreach (var change in await stores[0].ReadSlotAsync(collection, slot))
                {
                    if (change.Kind == ChangeKind.Upsert)
                    {
                        copy = (slot, change.Document!.Text!);
                    }
                    else if (copy?.Slot == slot)
                    {
                        copy = null;
                    }
                }
            }

            Assert.Equal(stored?.Text, copy?.Text);
            Assert.Equal(storedSlot, copy?.Slot);
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
    }

    private static CollectionSpec Spec() => Stores.Spec("routed") with { Routing = new RoutingSettings("tag", Slots) };

    private static DocumentWrite Tagged(string id, string tag, string text) => Stores.Upsert(id, text, fields: $$"""{"tag":"{{tag}}"}""");
}
