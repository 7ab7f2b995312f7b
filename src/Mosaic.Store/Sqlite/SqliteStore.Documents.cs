using Microsoft.Data.Sqlite;
using Mosaic.Core.Collections;
using Mosaic.Core.Consistency;
using Mosaic.Core.Documents;
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
            using var transaction = connection.BeginTransaction();
            for (int i = 0; i < group.Count; i++)
            {
                transaction.Save("w");
                try
                {
                    outcomes[i] = WriteOne(connection, transaction, group[i]);
                    transaction.Release("w");
                }
                catch (SqliteException ex) when (!StoreFailures.IsUnavailable(ex))
                {
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
            _writer?.Dispose();
            _writer = null;
            foreach (var write in group)
            {
                write.Fail(ex);
            }

            return;
        }

        if (outcomes.Any(o => o?.Result?.Written > 0))
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

    private (WriteResult? Result, string? Answer) WriteOne(SqliteConnection connection, SqliteTransaction transaction, PendingWrite write)
    {
        if (write.IdempotencyKey is { } key && FindAnswer(connection, transaction, write.Collection.Id, key) is { } answer)
        {
            return (null, answer);
        }

        var result = Apply(connection, transaction, write.Collection, write.Writes);
        if (write.IdempotencyKey is not null && write.RenderAnswer?.Invoke(result) is { } rendered)
        {
            RememberAnswer(connection, transaction, write.Collection.Id, write.IdempotencyKey, rendered);
        }

        return (result, null);
    }

    /// <summary>Writes documents and change records; each slot's counter is read once and bumped once.</summary>
    private static WriteResult Apply(SqliteConnection connection, SqliteTransaction transaction, CollectionInfo collection, IReadOnlyList<DocumentWrite> writes)
    {
        // With a routing key a write's slot is not its id's (and a delete's is its stored row's): read every head then.
        var heads = collection.Spec.Routing is null
            ? ReadHeads(connection, transaction, collection.Id, writes.Select(w => SlotHasher.SlotOf(collection.Name, w.Id)).ToHashSet())
            : ReadHeads(connection, transaction, collection.Id, new SlotRange(0, SlotHasher.SlotCount));
        var touched = new Dictionary<int, long>();
        var missing = new List<string>();

        using var upsert = Command(connection, """
            INSERT INTO docs(collection_id, doc_id, slot, seq, text, vector, fields) VALUES ($c, $id, $slot, $seq, $text, $vector, $fields)
            ON CONFLICT(collection_id, doc_id) DO UPDATE SET seq = excluded.seq, text = excluded.text, vector = excluded.vector, fields = excluded.fields
            WHERE docs.slot = excluded.slot
            """, transaction);
        var pC = upsert.Parameters.Add("$c", SqliteType.Integer);
        var pId = upsert.Parameters.Add("$id", SqliteType.Text);
        var pSlot = upsert.Parameters.Add("$slot", SqliteType.Integer);
        var pSeq = upsert.Parameters.Add("$seq", SqliteType.Integer);
        var pText = upsert.Parameters.Add("$text", SqliteType.Text);
        var pVector = upsert.Parameters.Add("$vector", SqliteType.Blob);
        var pFields = upsert.Parameters.Add("$fields", SqliteType.Text);
        pC.Value = collection.Id;

        // A delete logs in the slot the row has (with a routing key, that is not the id's hash).
        using var delete = Command(connection, "DELETE FROM docs WHERE collection_id = $c AND doc_id = $id RETURNING slot", transaction);
        delete.Parameters.AddWithValue("$c", collection.Id);
        var dId = delete.Parameters.Add("$id", SqliteType.Text);

        using var log = Command(connection, "INSERT INTO changes(collection_id, slot, seq, doc_id, op) VALUES ($c, $slot, $seq, $id, $op)", transaction);
        log.Parameters.AddWithValue("$c", collection.Id);
        var lSlot = log.Parameters.Add("$slot", SqliteType.Integer);
        var lSeq = log.Parameters.Add("$seq", SqliteType.Integer);
        var lId = log.Parameters.Add("$id", SqliteType.Text);
        var lOp = log.Parameters.Add("$op", SqliteType.Integer);

        int written = 0;
        foreach (var write in writes)
        {
            int slot;
            if (write.Document is { } doc)
            {
                slot = RoutingSlots.SlotOf(collection.Spec, write.Id, doc.FieldsJson);
                pId.Value = write.Id;
                pSlot.Value = slot;
                pSeq.Value = Next(heads, touched, slot);
                pText.Value = (object?)doc.Text ?? DBNull.Value;
                pVector.Value = doc.Vector is null ? DBNull.Value : VectorCodec.ToBytes(doc.Vector);
                pFields.Value = (object?)doc.FieldsJson ?? DBNull.Value;
                if (upsert.ExecuteNonQuery() == 0)
                {
                    // The row exists in another slot; throwing rolls the whole batch back.
                    throw RoutingSlots.ValueChanged(collection.Spec, write.Id);
                }
            }
            else
            {
                dId.Value = write.Id;
                if (delete.ExecuteScalar() is not long stored)
                {
                    missing.Add(write.Id);
                    continue;
                }

                slot = (int)stored;
                Next(heads, touched, slot);
            }

            lSlot.Value = slot;
            lSeq.Value = touched[slot];
            lId.Value = write.Id;
            lOp.Value = write.Document is null ? 1 : 0;
            log.ExecuteNonQuery();
            written++;
        }

        using var bump = Command(connection, """
            INSERT INTO slot_seqs(collection_id, slot, seq) VALUES ($c, $slot, $seq)
            ON CONFLICT(collection_id, slot) DO UPDATE SET seq = excluded.seq
            """, transaction);
        bump.Parameters.AddWithValue("$c", collection.Id);
        var bSlot = bump.Parameters.Add("$slot", SqliteType.Integer);
        var bSeq = bump.Parameters.Add("$seq", SqliteType.Integer);
        foreach (var (slot, seq) in touched)
        {
            bSlot.Value = slot;
            bSeq.Value = seq;
            bump.ExecuteNonQuery();
        }

        return new WriteResult(written, new ConsistencyToken(collection.Id, touched), missing);
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
