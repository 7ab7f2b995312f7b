using Mosaic.Core.Collections;
using Mosaic.Core.Consistency;
using Mosaic.Core.Documents;
using Mosaic.Core.Errors;
using Mosaic.Core.Seams;
using Mosaic.Core.Slots;
using Npgsql;
using NpgsqlTypes;

namespace Mosaic.Store.Postgres;

public sealed partial class PostgresStore
{
    /// <summary>Attempts at a write that PostgreSQL aborted as a deadlock victim or serialization failure (neither is expected; see <see cref="WriteOnceAsync"/>).</summary>
    private const int MaxWriteAttempts = 3;

    public async Task<(WriteResult? Result, string? StoredAnswer)> WriteAsync(
        CollectionInfo collection,
        IReadOnlyList<DocumentWrite> writes,
        string? idempotencyKey,
        Func<WriteResult, string?>? renderAnswer,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(writes);
        for (int attempt = 1; ; attempt++)
        {
            var progress = new WriteProgress();
            try
            {
                return await WriteOnceAsync(collection, writes, idempotencyKey, renderAnswer, progress, ct).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (IsNulCharacter(ex))
            {
                throw NulCharacter();
            }
            catch (PostgresException ex) when (attempt < MaxWriteAttempts && ex.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure)
            {
                // The transaction rolled back whole, so trying again writes nothing twice.
                LogWriteRetry(collection.Id, ex.SqlState, attempt);
            }
            catch (RowsMovedException)
            {
                // Rolled back whole; the next attempt reads the rows' slots again (see RecheckSlotsAsync).
                if (attempt >= MaxWriteAttempts)
                {
                    throw RowsMovedConflict();
                }
            }
            catch (Exception ex) when (IsConnectionFailure(ex) && !ct.IsCancellationRequested)
            {
                _dataSource.Clear();
                // Until COMMIT is sent nothing can have committed (the server rolls back a transaction whose connection
                // dies), so the write can run again. After that the outcome is unknown, and only the caller can decide.
                bool retrying = !progress.CommitSent && attempt < MaxWriteAttempts;
                LogConnectionLost(ex, retrying);
                if (!retrying)
                {
                    throw;
                }
            }
        }
    }

    /// <summary>One write transaction, in three round trips plus the commit.</summary>
    /// <remarks>
    /// <para>
    /// 1. Lock, in one batch: the idempotency key (an advisory lock, so a repeat waits for the first and then finds its
    /// answer), the collection row (key-share: a concurrent drop waits for us, or we see it gone), and every touched slot's
    /// counter, bumped by the batch's write count in that slot with one <c>INSERT … ON CONFLICT DO UPDATE … RETURNING</c>,
    /// rows in ascending slot order. The bump's row lock is held to commit: a second writer of the slot waits, then bumps
    /// from our committed value. So seqs are handed out in commit order, and a rollback hands back nothing.
    /// </para>
    /// <para>
    /// 2. Only when the batch deletes: which of those documents exist. Every writer of a document holds its slot's lock
    /// first, so this answer (a fresh READ COMMITTED snapshot, taken after the locks) cannot change under us.
    /// </para>
    /// <para>
    /// 3. One batch: final document rows, the change records, a correction of the counters when some deletes found
    /// nothing (they are reported as missing and not logged, as in the embedded store), the idempotency answer. After the
    /// commit, the change is announced to other processes (<see cref="AnnounceDocumentChanges"/>).
    /// </para>
    /// Lock order is always advisory key, collection row, slot rows ascending, then document rows, so writers never
    /// deadlock one another.
    /// <para>
    /// With a routing key a document's slot depends on its routing value, so a delete's slot is its row's: the rows are read
    /// before the locks and again after them (instead of step 2), and if one moved (deleted and re-created with another
    /// value meanwhile) the transaction runs again. An upsert that would move a row answers a conflict.
    /// </para>
    /// </remarks>
    private async Task<(WriteResult? Result, string? StoredAnswer)> WriteOnceAsync(
        CollectionInfo collection,
        IReadOnlyList<DocumentWrite> writes,
        string? idempotencyKey,
        Func<WriteResult, string?>? renderAnswer,
        WriteProgress progress,
        CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);

        // With a routing key, a delete logs in its row's slot: read before locking, checked again under the locks.
        bool routed = collection.Spec.Routing is not null;
        var slots = PlanSlots(collection, writes, routed ? await StoredSlotsAsync(connection, transaction, collection.Id, writes, ct).ConfigureAwait(false) : null);
        var perSlot = new SortedDictionary<int, long>();
        var deleted = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < writes.Count; i++)
        {
            perSlot[slots[i]] = perSlot.GetValueOrDefault(slots[i]) + 1;
            if (writes[i].Document is null)
            {
                deleted.Add(writes[i].Id);
            }
        }

        var (answer, heads) = await LockAsync(connection, transaction, collection, perSlot, idempotencyKey, _idempotencyRetention, ct).ConfigureAwait(false);
        if (answer is not null)
        {
            return (null, answer);
        }

        // The rows that exist under the locks, with their slots: nobody can move or delete them before we commit.
        var existing = routed
            ? await RecheckSlotsAsync(connection, transaction, collection, writes, slots, ct).ConfigureAwait(false)
            : deleted.Count > 0
            ? (await ExistingAsync(connection, transaction, collection.Id, [.. deleted], ct).ConfigureAwait(false)).ToDictionary(id => id, id => SlotHasher.SlotOf(collection.Name, id), StringComparer.Ordinal)
            : [];

        // Replays the batch in order against what exists, giving each logged write the next seq of its slot.
        var next = new Dictionary<int, long>(perSlot.Count);
        foreach (var (slot, newHead) in heads)
        {
            next[slot] = newHead - perSlot[slot];
        }

        var present = new Dictionary<string, bool>(StringComparer.Ordinal);
        var missing = new List<string>();
        var log = new List<(int Slot, long Seq, string Id, short Op)>(writes.Count);
        var final = new Dictionary<string, (DocumentWrite Write, int Slot, long Seq)>(StringComparer.Ordinal);
        for (int i = 0; i < writes.Count; i++)
        {
            var write = writes[i];
            if (write.Document is null && !(present.TryGetValue(write.Id, out bool now) ? now : existing.ContainsKey(write.Id)))
            {
                missing.Add(write.Id);
                continue;
            }

            long seq = ++next[slots[i]];
            log.Add((slots[i], seq, write.Id, write.Document is null ? (short)1 : (short)0));
            final[write.Id] = (write, slots[i], seq);
            present[write.Id] = write.Document is not null;
        }

        var touched = new Dictionary<int, long>();
        foreach (var entry in log)
        {
            touched[entry.Slot] = entry.Seq;
        }

        // Slots whose bump counted deletes that found nothing go back to what was really logged.
        var corrections = heads.Where(h => next[h.Key] != h.Value).Select(h => (Slot: h.Key, Seq: next[h.Key])).ToArray();
        var result = new WriteResult(log.Count, new ConsistencyToken(collection.Id, touched), missing);
        string? rendered = idempotencyKey is not null ? renderAnswer?.Invoke(result) : null;

        await using (var batch = new NpgsqlBatch(connection, transaction))
        {
            var upsert = AddDocumentRows(batch, collection.Id, final, deleted.Where(existing.ContainsKey).ToDictionary(id => id, id => existing[id], StringComparer.Ordinal));
            if (log.Count > 0)
            {
                batch.BatchCommands.Add(BatchCommand(
                    "INSERT INTO changes(collection_id, slot, seq, doc_id, op) SELECT @c, * FROM unnest(@slots, @seqs, @ids, @ops)",
                    ("c", collection.Id),
                    ("slots", log.Select(l => l.Slot).ToArray()),
                    ("seqs", log.Select(l => l.Seq).ToArray()),
                    ("ids", log.Select(l => l.Id).ToArray()),
                    ("ops", log.Select(l => l.Op).ToArray())));
            }

            if (corrections.Length > 0)
            {
                batch.BatchCommands.Add(BatchCommand(
                    "UPDATE slot_seqs s SET seq = u.seq FROM unnest(@slots, @seqs) AS u(slot, seq) WHERE s.collection_id = @c AND s.slot = u.slot",
                    ("c", collection.Id),
                    ("slots", corrections.Select(c => c.Slot).ToArray()),
                    ("seqs", corrections.Select(c => c.Seq).ToArray())));
            }

            if (rendered is not null)
            {
                batch.BatchCommands.Add(BatchCommand(
                    """
                    INSERT INTO idempotency(collection_id, key, answer, created_at) VALUES (@c, @k, @a, now())
                    ON CONFLICT (collection_id, key) DO UPDATE SET answer = excluded.answer, created_at = excluded.created_at
                    """,
                    ("c", collection.Id), ("k", idempotencyKey), ("a", rendered)));
            }

            if (batch.BatchCommands.Count > 0)
            {
                await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            // An upsert skips a row in another slot: one created concurrently with another routing value.
            if (upsert is not null && upsert.RecordsAffected < final.Values.Count(f => f.Write.Document is not null))
            {
                throw RoutingSlots.ValueChanged(collection.Spec, final.Values.First(f => f.Write.Document is not null).Write.Id);
            }
        }

        progress.CommitSent = true;
        await transaction.CommitAsync(ct).ConfigureAwait(false);
        if (log.Count > 0)
        {
            _signal.Notify();
            AnnounceDocumentChanges();
        }

        return (result, null);
    }

    /// <summary>Takes the write's locks (see <see cref="WriteOnceAsync"/>) and returns a stored answer or each touched slot's bumped head.</summary>
    private static async Task<(string? Answer, Dictionary<int, long> Heads)> LockAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        CollectionInfo collection,
        SortedDictionary<int, long> perSlot,
        string? idempotencyKey,
        TimeSpan retention,
        CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        if (idempotencyKey is not null)
        {
            // Two statements on purpose: the look-up needs a snapshot taken after the lock is granted.
            batch.BatchCommands.Add(BatchCommand("SELECT pg_advisory_xact_lock(hashtextextended(@k, @c))", ("c", collection.Id), ("k", idempotencyKey)));
            // A key older than the retention is forgotten even before the sweep deletes its row.
            batch.BatchCommands.Add(BatchCommand(
                "SELECT answer FROM idempotency WHERE collection_id = @c AND key = @k AND created_at >= now() - @retention",
                ("c", collection.Id), ("k", idempotencyKey), ("retention", retention)));
        }

        batch.BatchCommands.Add(BatchCommand("SELECT 1 FROM collections WHERE id = @c FOR KEY SHARE", ("c", collection.Id)));
        if (perSlot.Count > 0)
        {
            // ORDER BY feeds the rows to the insert in ascending slot order, which is the order their locks are taken.
            batch.BatchCommands.Add(BatchCommand("""
                INSERT INTO slot_seqs AS s (collection_id, slot, seq)
                SELECT @c, u.slot, u.n FROM unnest(@slots, @counts) AS u(slot, n) ORDER BY u.slot
                ON CONFLICT (collection_id, slot) DO UPDATE SET seq = s.seq + excluded.seq
                RETURNING s.slot, s.seq
                """,
                ("c", collection.Id), ("slots", perSlot.Keys.ToArray()), ("counts", perSlot.Values.ToArray())));
        }

        await using var reader = await batch.ExecuteReaderAsync(ct).ConfigureAwait(false);
        string? answer = null;
        if (idempotencyKey is not null)
        {
            await reader.NextResultAsync(ct).ConfigureAwait(false);
            if (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                answer = reader.GetString(0);
            }

            await reader.NextResultAsync(ct).ConfigureAwait(false);
        }

        bool exists = await reader.ReadAsync(ct).ConfigureAwait(false);
        var heads = new Dictionary<int, long>(perSlot.Count);
        if (perSlot.Count > 0 && await reader.NextResultAsync(ct).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                heads[reader.GetInt32(0)] = reader.GetInt64(1);
            }
        }

        if (answer is not null)
        {
            return (answer, heads);
        }

        // A coordinator may still hold a collection that was dropped a moment ago: its write must not leave orphans behind.
        return exists ? (null, heads) : throw MosaicException.NotFound($"collection '{collection.Name}' does not exist");
    }

    private static async Task<HashSet<string>> ExistingAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long collectionId, string[] ids, CancellationToken ct)
    {
        await using var command = Command("SELECT doc_id FROM docs WHERE collection_id = @c AND doc_id = ANY(@ids)", connection, transaction, ("c", collectionId), ("ids", ids));
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var found = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            found.Add(reader.GetString(0));
        }

        return found;
    }

    /// <summary>Each document's row takes the last logged write of its id in the batch (the same end state as applying them one by one).</summary>
    /// <remarks>Every row the batch deletes (as found under the locks) is deleted first, also when a later upsert writes its id again: with a routing key, it
    /// may come back in another slot, which the upsert alone may not move it to.</remarks>
    private static NpgsqlBatchCommand? AddDocumentRows(NpgsqlBatch batch, long collectionId, Dictionary<string, (DocumentWrite Write, int Slot, long Seq)> final, Dictionary<string, int> deleted)
    {
        if (deleted.Count > 0)
        {
            // Only the rows seen under the locks, in their slots: a row another writer created meanwhile in a slot this write
            // did not lock (routing key, another value) is not this write's to delete, and its delete would go unlogged.
            batch.BatchCommands.Add(BatchCommand(
                "DELETE FROM docs d USING unnest(@ids, @slots) AS r(id, slot) WHERE d.collection_id = @c AND d.doc_id = r.id AND d.slot = r.slot",
                ("c", collectionId), ("ids", deleted.Keys.ToArray()), ("slots", deleted.Values.ToArray())));
        }

        var upserts = final.Values.Where(f => f.Write.Document is not null).ToArray();
        if (upserts.Length == 0)
        {
            return null;
        }

        var upsert = new NpgsqlBatchCommand("""
            INSERT INTO docs(collection_id, doc_id, slot, seq, text, vector, fields)
            SELECT @c, * FROM unnest(@ids, @slots, @seqs, @texts, @vectors, @fields)
            ON CONFLICT (collection_id, doc_id) DO UPDATE SET seq = excluded.seq, text = excluded.text, vector = excluded.vector, fields = excluded.fields
            WHERE docs.slot = excluded.slot
            """);
        upsert.Parameters.AddWithValue("c", collectionId);
        upsert.Parameters.AddWithValue("ids", upserts.Select(u => u.Write.Id).ToArray());
        upsert.Parameters.AddWithValue("slots", upserts.Select(u => u.Slot).ToArray());
        upsert.Parameters.AddWithValue("seqs", upserts.Select(u => u.Seq).ToArray());
        upsert.Parameters.AddWithValue("texts", NpgsqlDbType.Array | NpgsqlDbType.Text, upserts.Select(u => u.Write.Document!.Text).ToArray());
        upsert.Parameters.AddWithValue("vectors", NpgsqlDbType.Array | NpgsqlDbType.Bytea, upserts.Select(u => u.Write.Document!.Vector is { } v ? VectorCodec.ToBytes(v) : null).ToArray());
        upsert.Parameters.AddWithValue("fields", NpgsqlDbType.Array | NpgsqlDbType.Text, upserts.Select(u => u.Write.Document!.FieldsJson).ToArray());
        batch.BatchCommands.Add(upsert);
        return upsert;
    }

    public async Task<Document?> GetAsync(CollectionInfo collection, string id, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(collection);
        try
        {
            return await RunAsync(
                async connection =>
                {
                    await using var command = Command("SELECT text, vector, fields FROM docs WHERE collection_id = @c AND doc_id = @id", connection, null, ("c", collection.Id), ("id", id));
                    await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                    return await reader.ReadAsync(ct).ConfigureAwait(false) ? StoredRows.Document(reader, id, 0) : null;
                },
                retry: true,
                ct).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (IsNulCharacter(ex))
        {
            // No stored id can contain it.
            return null;
        }
    }

    public Task<long> CountAsync(CollectionInfo collection, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(collection);
        return RunAsync(
            async connection =>
            {
                await using var command = Command("SELECT count(*) FROM docs WHERE collection_id = @c", connection, null, ("c", collection.Id));
                return (long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
            },
            retry: true,
            ct);
    }

    /// <summary>How far a write attempt got: whether its COMMIT may have reached the server.</summary>
    private sealed class WriteProgress
    {
        public bool CommitSent { get; set; }
    }
}
