using System.Collections.Concurrent;
using Mosaic.Core.Changes;
using Mosaic.Core.Collections;
using Mosaic.Core.Seams;
using Mosaic.Core.Slots;
using Mosaic.Store.Postgres;
using Mosaic.Testing;
using Xunit;

namespace Mosaic.ClusterTests.Store;

/// <summary>
/// The log's central promise under real concurrency: several stores (separate data sources, like separate coordinators),
/// each with several writers, hammer the same slots; every slot's log is then exactly 1..head, every acknowledged write
/// sits at the seqs its token names, and a tailer reading during the storm never sees seq n+1 before n.
/// </summary>
[Collection(StoreCollection.Name)]
public sealed class SequenceTests(PostgresFixture postgres)
{
    private const int StoreCount = 4;
    private const int WritersPerStore = 3;
    private const int Rounds = 30;
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Per_slot_sequences_stay_gapless_and_commit_ordered_under_concurrent_writers_on_many_stores()
    {
        int seed = Seeds.Pick();
        await Seeds.WithSeedAsync(seed, async () =>
        {
            string cs = await postgres.NewDatabaseAsync();
            var signals = Enumerable.Range(0, StoreCount).Select(_ => new ChangeSignal()).ToArray();
            var stores = signals.Select(s => Stores.Open(cs, s)).ToArray();
            try
            {
                var (collection, _) = await stores[0].CreateAsync(Stores.Spec("storm"), None);
                // Half the ids crowd into two slots, so writers meet on the same counters all the time; the rest spread.
                var hot = Stores.IdsInOneSlot(collection.Name, 12, out int hotSlot);
                var warm = Enumerable.Range(0, 400).Select(i => $"warm-{i}").Where(id => SlotHasher.SlotOf(collection.Name, id) is var s && s != hotSlot)
                    .GroupBy(id => SlotHasher.SlotOf(collection.Name, id)).OrderByDescending(g => g.Count()).First().Take(12).ToArray();
                int warmSlot = SlotHasher.SlotOf(collection.Name, warm[0]);
                var ids = hot.Concat(warm).Concat(Enumerable.Range(0, 24).Select(i => $"spread-{i}")).ToArray();

                using var stop = new CancellationTokenSource();
                var tailers = new[] { hotSlot, warmSlot }.Select((slot, i) => Task.Run(() => TailAsync(stores[i], signals[i], collection, slot, stop.Token))).ToArray();

                var acknowledged = new ConcurrentBag<(DocumentWrite[] Batch, WriteResult Result)>();
                var writers = Enumerable.Range(0, StoreCount * WritersPerStore).Select(w => Task.Run(async () =>
                {
                    var random = new Random(seed + w);
                    var store = stores[w % StoreCount];
                    for (int round = 0; round < Rounds; round++)
                    {
                        // Alternate single-document writes and bulks of distinct ids across slots; a quarter are deletes,
                        // some of which find nothing and must not cost a seq.
                        int size = round % 2 == 0 ? 1 : random.Next(2, 9);
                        var batch = ids.OrderBy(_ => random.Next()).Take(size)
                            .Select((id, i) => random.Next(4) == 0 ? Stores.Delete(id) : Stores.Upsert(id, $"w{w} r{round} #{i}"))
                            .ToArray();
                        var (result, _) = await store.WriteAsync(collection, batch);
                        acknowledged.Add((batch, result!));
                    }
                })).ToArray();
                await Task.WhenAll(writers);
                await stop.CancelAsync();
                var tailed = await Task.WhenAll(tailers);

                var heads = await stores[1].HeadsAsync(collection);
                var logs = new Dictionary<int, IReadOnlyList<ChangeRecord>>();
                foreach (var (slot, head) in heads)
                {
                    var log = await stores[2].ReadSlotAsync(collection, slot);
                    Assert.Equal(Enumerable.Range(1, (int)head).Select(i => (long)i), log.Select(c => c.Seq));
                    logs[slot] = log;
                }

                long written = acknowledged.Sum(a => (long)a.Result.Written);
                Assert.Equal(written, logs.Values.Sum(l => (long)l.Count));
                Assert.True(written > 400, $"the storm should log many changes, logged {written}");
                Assert.True(heads[hotSlot] > 100, $"the hot slot should see heavy contention, head {heads[hotSlot]}");

                // Each acknowledged batch holds a contiguous run of seqs per slot that ends at its token, in batch order.
                var lastWrite = new Dictionary<string, (long Seq, DocumentWrite Write)>();
                foreach (var (batch, result) in acknowledged)
                {
                    var logged = batch.Where(w => w.Document is not null || !result.Missing.Contains(w.Id)).ToArray();
                    Assert.Equal(logged.Length, result.Written);
                    var bySlot = logged.GroupBy(w => SlotHasher.SlotOf(collection.Name, w.Id)).ToDictionary(g => g.Key, g => g.ToArray());
                    Assert.Equal(bySlot.Keys.Order(), result.Token.SlotSeqs.Keys.Order());
                    foreach (var (slot, inSlot) in bySlot)
                    {
                        long end = result.Token.SlotSeqs[slot];
                        for (int i = 0; i < inSlot.Length; i++)
                        {
                            long seq = end - inSlot.Length + 1 + i;
                            Assert.Equal(inSlot[i].Id, logs[slot][(int)seq - 1].DocId);
                            if (!lastWrite.TryGetValue(inSlot[i].Id, out var previous) || previous.Seq < seq)
                            {
                                lastWrite[inSlot[i].Id] = (seq, inSlot[i]);
                            }
                        }
                    }
                }

                // The documents are what the last logged write of each id left, at that write's seq.
                foreach (string id in ids)
                {
                    var document = await stores[3].GetAsync(collection, id, None);
                    if (!lastWrite.TryGetValue(id, out var last) || last.Write.Document is null)
                    {
                        Assert.Null(document);
                        continue;
                    }

                    Assert.Equal(last.Write.Document.Text, document?.Text);
                    var change = logs[SlotHasher.SlotOf(collection.Name, id)][(int)last.Seq - 1];
                    Assert.Equal(last.Seq, change.DocSeq);
                }

                // The tailers followed the log live and ended exactly at the heads, having seen no gap on the way.
                Assert.Equal(heads[hotSlot], tailed[0]);
                Assert.Equal(heads[warmSlot], tailed[1]);
            }
            finally
            {
                foreach (var store in stores)
                {
                    await store.DisposeAsync();
                }
            }
        });
    }

    /// <summary>Follows one slot like a worker does: wake on the signal, read after the last seq, demand contiguity.</summary>
    private static async Task<long> TailAsync(PostgresStore store, ChangeSignal signal, CollectionInfo collection, int slot, CancellationToken stop)
    {
        long last = 0;
        long generation = signal.Generation;
        while (true)
        {
            bool stopping = stop.IsCancellationRequested;
            var changes = await store.ReadAsync(collection.Id, slot, last, 64, None);
            foreach (var change in changes)
            {
                Assert.True(change.Seq == last + 1, $"slot {slot}: the tailer saw seq {change.Seq} right after {last}");
                last = change.Seq;
            }

            if (changes.Count > 0)
            {
                continue;
            }

            if (stopping)
            {
                // The writers had all finished before this empty read began: nothing more will come.
                return last;
            }

            try
            {
                generation = await signal.WaitAsync(generation, TimeSpan.FromMilliseconds(200), TimeProvider.System, stop);
            }
            catch (OperationCanceledException)
            {
                // Stop requested: one more read drains the rest.
            }
        }
    }
}
