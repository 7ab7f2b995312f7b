using Microsoft.Data.Sqlite;
using Mosaic.Core.Collections;
using Mosaic.Core.Consistency;
using Mosaic.Core.Documents;
using Mosaic.Core.Errors;
using Mosaic.Core.Seams;
using Mosaic.Core.Slots;

namespace Mosaic.Store.Sqlite;

public sealed partial class SqliteStore
{
    public async Task<(WriteResult? Result, string? StoredAnswer)> WriteAsync(
        CollectionInfo collection,
        IReadOnlyList<DocumentWrite> writes,
        string? idempotencyKey,
        Func<WriteResult, string?>? renderAnswer,
        CancellationToken ct)
    {
        // Group commit: every write joins the queue; whoever holds the gate commits all queued writes in one
        // transaction (one fsync), so concurrent writers share the cost that dominates a small write.
        var pending = new PendingWrite(collection, writes, idempotencyKey, renderAnswer);
        _pending.Enqueue(pending);
        try
        {
            await _writeGate.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (pending.TryCancel())
        {
            throw;
        }
        catch (OperationCanceledException)
        {
            // Another writer's group already took this write: its outcome is the answer.
            return await pending.Completion.ConfigureAwait(false);
        }

        try
        {
            if (!pending.Completion.IsCompleted)
            {
                CommitPending();
            }
        }
        finally
        {
            _writeGate.Release();
        }

        return await pending.Completion.ConfigureAwait(false);
    }

    /// <summary>Under the gate: takes the queued writes and commits them together, each in its own savepoint.</summary>
    /// <remarks>A write that fails (a constraint, a bug) rolls back to its savepoint and fails alone; a failed commit fails them all.</remarks>
    private void CommitPending()
    {
        var group = new List<PendingWrite>();
        int documents = 0;
        while (documents < MaxGroupDocuments && _pending.TryDequeue(out var next))
        {
            if (next.TryClaim())
            {
                group.Add(next);
                documents += next.Writes.Count;
            }
        }

        if (group.Count == 0)
        {
            return;
        }

        var outcomes = new (WriteResult? Result, string? Answer)?[group.Count];
        var failures = new Exception?[group.Count];
        try
        {
            var connection = _writer ??= Open();
            var statements = _statements ??= new GroupStatements(connection);
            using var transaction = connection.BeginTransaction();
            statements.Enlist(transaction);
            for (int i = 0; i < group.Count; i++)
            {
                statements.Save.ExecuteNonQuery();
                try
                {
                    outcomes[i] = WriteOne(connection, transaction, statements, group[i]);
                    statements.Release.ExecuteNonQuery();
                }
                catch (Exception ex) when (ex is MosaicException || (ex is SqliteException sqlite && !StoreFailures.IsUnavailable(sqlite)))
                {
                    // A caller's own mistake (a routing value that may not change: 409) fails that write alone, never
                    // the other writers that happened to share its group.
                    transaction.Rollback("w");
                    transaction.Release("w");
                    failures[i] = ex;
                }
            }

            transaction.Commit();
        }
        catch (Exception ex)
        {
            // The connection may be unusable now; the next group opens a fresh one.
            _statements?.Dispose();
            _statements = null;
            _writer?.Dispose();
            _writer = null;
            foreach (var write in group)
            {
                write.Fail(ex);
            }

            return;
        }

        bool written = false;
        for (int i = 0; i < group.Count; i++)
        {
            if (failures[i] is null && outcomes[i]?.Result is { Written: > 0 } result)
            {
                RaiseCachedHeads(group[i].Collection.Id, result.Token.SlotSeqs);
                written = true;
            }
        }

        if (written)
        {
            _signal.Notify();
        }

        for (int i = 0; i < group.Count; i++)
        {
            if (failures[i] is { } failure)
            {
                group[i].Fail(failure);
            }
            else
            {
                group[i].Succeed(outcomes[i]!.Value);
            }
        }
    }

    private (WriteResult? Result, string? Answer) WriteOne(SqliteConnection connection, SqliteTransaction transaction, GroupStatements statements, PendingWrite write)
    {
        if (write.IdempotencyKey is { } key && FindAnswer(connection, transaction, write.Collection.Id, key) is { } answer)
        {
            return (null, answer);
        }

        var result = Apply(connection, transaction, statements, write.Collection, write.Writes);
        if (write.IdempotencyKey is not null && write.RenderAnswer?.Invoke(result) is { } rendered)
        {
            RememberAnswer(connection, transaction, write.Collection.Id, write.IdempotencyKey, rendered);
        }

        return (result, null);
    }

    /// <summary>Writes documents and change records; each slot's counter is read once and bumped once.</summary>
    private static WriteResult Apply(SqliteConnection connection, SqliteTransaction transaction, GroupStatements s, CollectionInfo collection, IReadOnlyList<DocumentWrite> writes)
    {
        // With a routing key a write's slot is not its id's (and a delete's is its stored row's): read every head then.
        var heads = collection.Spec.Routing is null
            ? ReadHeads(connection, transaction, s, collection, writes)
            : ReadHeads(connection, transaction, collection.Id, new SlotRange(0, SlotHasher.SlotCount));
        var touched = new Dictionary<int, long>();
        var missing = new List<string>();
        s.UpsertCollection.Value = collection.Id;
        s.DeleteCollection.Value = collection.Id;
        s.LogCollection.Value = collection.Id;
        s.BumpCollection.Value = collection.Id;

        int written = 0;
        foreach (var write in writes)
        {
            int slot;
            if (write.Document is { } doc)
            {
                slot = RoutingSlots.SlotOf(collection.Spec, write.Id, doc.FieldsJson);
                s.UpsertId.Value = write.Id;
                s.UpsertSlot.Value = slot;
                s.UpsertSeq.Value = Next(heads, touched, slot);
                s.UpsertText.Value = (object?)doc.Text ?? DBNull.Value;
                s.UpsertVector.Value = doc.Vector is null ? DBNull.Value : VectorCodec.ToBytes(doc.Vector);
                s.UpsertFields.Value = (object?)doc.FieldsJson ?? DBNull.Value;
                if (s.Upsert.ExecuteNonQuery() == 0)
                {
                    // The row exists in another slot; throwing rolls the whole batch back.
                    throw RoutingSlots.ValueChanged(collection.Spec, write.Id);
                }
            }
            else
            {
                s.DeleteId.Value = write.Id;
                if (s.Delete.ExecuteScalar() is not long stored)
                {
                    missing.Add(write.Id);
                    continue;
                }

                slot = (int)stored;
                Next(heads, touched, slot);
            }

            s.LogSlot.Value = slot;
            s.LogSeq.Value = touched[slot];
            s.LogId.Value = write.Id;
            s.LogOp.Value = write.Document is null ? 1 : 0;
            s.Log.ExecuteNonQuery();
            written++;
        }

        foreach (var (slot, seq) in touched)
        {
            s.BumpSlot.Value = slot;
            s.BumpSeq.Value = seq;
            s.Bump.ExecuteNonQuery();
        }

        return new WriteResult(written, new ConsistencyToken(collection.Id, touched), missing);
    }

    /// <summary>Heads of the slots these writes hash to: point reads for a few (a single PUT touches one), the range for many.</summary>
    private static Dictionary<int, long> ReadHeads(SqliteConnection connection, SqliteTransaction transaction, GroupStatements s, CollectionInfo collection, IReadOnlyList<DocumentWrite> writes)
    {
        var slots = new HashSet<int>();
        foreach (var write in writes)
        {
            slots.Add(SlotHasher.SlotOf(collection.Name, write.Id));
            if (slots.Count > 32)
            {
                return ReadHeads(connection, transaction, collection.Id, new SlotRange(0, SlotHasher.SlotCount));
            }
        }

        s.HeadCollection.Value = collection.Id;
        var heads = new Dictionary<int, long>(slots.Count);
        foreach (int slot in slots)
        {
            s.HeadSlot.Value = slot;
            if (s.Head.ExecuteScalar() is long seq)
            {
                heads[slot] = seq;
            }
        }

        return heads;
    }

    private static long Next(Dictionary<int, long> heads, Dictionary<int, long> touched, int slot)
    {
        long seq = (touched.TryGetValue(slot, out var t) ? t : heads.GetValueOrDefault(slot)) + 1;
        touched[slot] = seq;
        return seq;
    }

    public Task<Document?> GetAsync(CollectionInfo collection, string id, CancellationToken ct)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT text, vector, fields FROM docs WHERE collection_id = $c AND doc_id = $id");
        command.Parameters.AddWithValue("$c", collection.Id);
        command.Parameters.AddWithValue("$id", id);
        using var reader = command.ExecuteReader();
        return Task.FromResult(reader.Read() ? StoredRows.Document(reader, id, 0) : null);
    }

    public Task<long> CountAsync(CollectionInfo collection, CancellationToken ct)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT count(*) FROM docs WHERE collection_id = $c");
        command.Parameters.AddWithValue("$c", collection.Id);
        return Task.FromResult((long)command.ExecuteScalar()!);
    }

}
