using Mosaic.Core.Collections;
using Mosaic.Core.Errors;
using Mosaic.Core.Seams;
using Mosaic.Core.Slots;
using Npgsql;

namespace Mosaic.Store.Postgres;

/// <summary>Slots of a write batch in a collection with a routing key, where a delete's slot is its stored row's.</summary>
public sealed partial class PostgresStore
{
    /// <summary>
    /// Each write's slot, replaying the batch in order over <paramref name="stored"/> (id → slot of its row; null: the
    /// collection has no routing key, and every slot is the id's hash). An upsert takes its routed slot, and fails with a
    /// conflict when the row it replaces is in another slot; a delete takes its row's slot, or the id's hash when there is
    /// none (it is then reported missing and not logged).
    /// </summary>
    private static int[] PlanSlots(CollectionInfo collection, IReadOnlyList<DocumentWrite> writes, Dictionary<string, int>? stored)
    {
        var slots = new int[writes.Count];
        var current = new Dictionary<string, int?>(StringComparer.Ordinal);
        for (int i = 0; i < writes.Count; i++)
        {
            var write = writes[i];
            if (stored is null)
            {
                slots[i] = SlotHasher.SlotOf(collection.Name, write.Id);
                continue;
            }

            int? row = current.TryGetValue(write.Id, out var now) ? now : stored.TryGetValue(write.Id, out var was) ? was : null;
            if (write.Document is { } doc)
            {
                slots[i] = RoutingSlots.SlotOf(collection.Spec, write.Id, doc.FieldsJson);
                if (row is int held && held != slots[i])
                {
                    throw RoutingSlots.ValueChanged(collection.Spec, write.Id);
                }

                current[write.Id] = slots[i];
            }
            else
            {
                slots[i] = row ?? SlotHasher.SlotOf(collection.Name, write.Id);
                current[write.Id] = null;
            }
        }

        return slots;
    }

    /// <summary>The slots of the stored rows of the batch's ids.</summary>
    private static async Task<Dictionary<string, int>> StoredSlotsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long collectionId, IReadOnlyList<DocumentWrite> writes, CancellationToken ct)
    {
        string[] ids = [.. writes.Select(w => w.Id).Distinct(StringComparer.Ordinal)];
        await using var command = Command("SELECT doc_id, slot FROM docs WHERE collection_id = @c AND doc_id = ANY(@ids)", connection, transaction, ("c", collectionId), ("ids", ids));
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var found = new Dictionary<string, int>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            found[reader.GetString(0)] = reader.GetInt32(1);
        }

        return found;
    }

    /// <summary>
    /// Under the slot locks, reads the rows again and checks that the planned slots still hold: a row read before the
    /// locks may since have been deleted and re-created with another routing value in a slot this write did not lock.
    /// Returns the rows that exist, with their slots.
    /// </summary>
    /// <exception cref="RowsMovedException">The plan changed; the transaction must run again.</exception>
    private static async Task<Dictionary<string, int>> RecheckSlotsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CollectionInfo collection, IReadOnlyList<DocumentWrite> writes, int[] planned, CancellationToken ct)
    {
        var stored = await StoredSlotsAsync(connection, transaction, collection.Id, writes, ct).ConfigureAwait(false);
        if (!PlanSlots(collection, writes, stored).AsSpan().SequenceEqual(planned))
        {
            throw new RowsMovedException();
        }

        return stored;
    }

    private static MosaicException RowsMovedConflict() => new(
        ErrorKind.Conflict,
        "conflict",
        "documents of this write kept being deleted and re-created with other routing values by concurrent writes; try again");

    /// <summary>A row of the batch moved to another slot between the read before the locks and the check after them.</summary>
    private sealed class RowsMovedException : Exception;
}
