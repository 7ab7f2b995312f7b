using Microsoft.Extensions.Logging.Abstractions;
using Mosaic.Core.Changes;
using Mosaic.Core.Collections;
using Mosaic.Core.Documents;
using Mosaic.Core.Seams;
using Mosaic.Core.Slots;
using Mosaic.Store.Postgres;

namespace Mosaic.ClusterTests.Store;

/// <summary>What the store tests share: opening a store (each its own data source, like one coordinator), specs, documents.</summary>
internal static class Stores
{
    public static PostgresStore Open(string connectionString, ChangeSignal? signal = null, TimeSpan? idempotencyRetention = null) =>
        new(new PostgresStoreOptions(connectionString) { IdempotencyRetention = idempotencyRetention ?? TimeSpan.FromHours(24) }, signal ?? new ChangeSignal(), NullLogger<PostgresStore>.Instance);

    public static CollectionSpec Spec(string name = "docs", int dimension = 4) =>
        new(name, dimension, VectorMetric.Cosine, 4, 2, new Dictionary<string, FieldType> { ["tag"] = FieldType.Keyword }, HnswSettings.Default);

    public static DocumentWrite Upsert(string id, string text, float[]? vector = null, string? fields = null) =>
        new(id, new Document(id, text, vector ?? [1, 2, 3, 4], fields));

    public static DocumentWrite Delete(string id) => new(id, null);

    public static Task<(WriteResult? Result, string? StoredAnswer)> WriteAsync(this IDocumentStore store, CollectionInfo collection, params DocumentWrite[] writes) =>
        store.WriteAsync(collection, writes, null, null, CancellationToken.None);

    /// <summary>Ids of <paramref name="collection"/> that hash to one slot (to make writes contend for the same counter).</summary>
    public static string[] IdsInOneSlot(string collection, int count, out int slot)
    {
        var bySlot = new Dictionary<int, List<string>>();
        for (int i = 0; ; i++)
        {
            string id = $"same-{i}";
            int s = SlotHasher.SlotOf(collection, id);
            if (!bySlot.TryGetValue(s, out var list))
            {
                bySlot[s] = list = [];
            }

            list.Add(id);
            if (list.Count == count)
            {
                slot = s;
                return [.. list];
            }
        }
    }

    /// <summary>The whole log of one slot.</summary>
    public static Task<IReadOnlyList<ChangeRecord>> ReadSlotAsync(this IChangeLog log, CollectionInfo collection, int slot) =>
        log.ReadAsync(collection.Id, slot, 0, int.MaxValue, CancellationToken.None);

    public static Task<IReadOnlyDictionary<int, long>> HeadsAsync(this IChangeLog log, CollectionInfo collection) =>
        log.GetSlotHeadsAsync(collection.Id, new SlotRange(0, SlotHasher.SlotCount), CancellationToken.None);
}
